package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Condition is a compiled responseConditions expression:
//
//	$.response.status == 'success' && (http.status < 300 || retry != true)
//
// Operands are JSONPath on the raw response, http.status, variable names and
// literals ('str', "str", numbers, true, false, null); operators are == != <
// > <= >= && || ! and parentheses. When a side is a number, both compare
// numerically (the other may be a numeric string); otherwise they compare as
// text, so '0012' != '12'. A missing path is null. An operand alone is true
// unless it is false, null, missing, 0, "" or an empty list or object.
type Condition struct {
	src  string
	root cnode
	vars []string
}

// Env is what a condition is evaluated against.
type Env interface {
	Scope
	// Response is the raw body of the response ("" when there was none).
	Response() string
	// Status is the HTTP status of the response (0 when there was none).
	Status() int
}

type opKind uint8

const (
	opOperand opKind = iota
	opAnd
	opOr
	opNot
	opEq
	opNe
	opLt
	opGt
	opLe
	opGe
)

type operandKind uint8

const (
	operandLiteral operandKind = iota
	operandPath
	operandStatus
	operandVar
)

type cnode struct {
	op   opKind
	l, r *cnode
	// operands
	kind operandKind
	lit  Value
	path *Path
	name string
}

// ParseCondition compiles a condition. Errors name the column.
func ParseCondition(src string) (*Condition, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks}
	if len(toks) == 1 {
		return nil, errors.New("empty condition")
	}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, fmt.Errorf("column %d: unexpected %s", t.col, t.text)
	}
	return &Condition{src: src, root: *root, vars: p.vars}, nil
}

// String returns the source text.
func (c *Condition) String() string { return c.src }

// Vars returns the variable names the condition reads, in order.
func (c *Condition) Vars() []string { return c.vars }

// Eval reports whether the condition holds.
func (c *Condition) Eval(env Env) bool { return c.root.truth(env) }

func (n *cnode) truth(env Env) bool {
	switch n.op {
	case opAnd:
		return n.l.truth(env) && n.r.truth(env)
	case opOr:
		return n.l.truth(env) || n.r.truth(env)
	case opNot:
		return !n.l.truth(env)
	case opOperand:
		return truthy(n.value(env))
	}
	return compare(n.op, n.l.value(env), n.r.value(env))
}

func (n *cnode) value(env Env) Value {
	switch n.kind {
	case operandPath:
		return n.path.Get(env.Response())
	case operandStatus:
		st := env.Status()
		return Value{Kind: Number, Num: float64(st), Str: strconv.Itoa(st)}
	case operandVar:
		return env.Lookup(n.name)
	}
	return n.lit
}

func truthy(v Value) bool {
	switch v.Kind {
	case Bool:
		return v.Bool
	case Number:
		return v.Num != 0
	case String:
		return v.Str != ""
	case JSON:
		s := strings.TrimSpace(v.Str)
		return len(s) < 2 || !isEmptyArray(s)
	case Time:
		return true
	}
	return false
}

// numeric returns v as a number when it is one or is a string that reads as
// one in full.
func numeric(v Value) (float64, bool) {
	switch v.Kind {
	case Number:
		return v.Num, true
	case String:
		s := strings.TrimSpace(v.Str)
		if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '-' || s[0] == '+' || s[0] == '.') {
			return 0, false // not a number; skip ParseFloat and its error
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	return 0, false
}

func compare(op opKind, a, b Value) bool {
	aNull, bNull := a.Kind == Missing || a.Kind == Null, b.Kind == Missing || b.Kind == Null
	if aNull || bNull {
		switch op {
		case opEq:
			return aNull && bNull
		case opNe:
			return aNull != bNull
		}
		return false
	}
	if a.Kind == Number || b.Kind == Number {
		if x, ok := numeric(a); ok {
			if y, ok := numeric(b); ok {
				return holds(op, cmpFloat(x, y))
			}
		}
	}
	return holds(op, strings.Compare(a.Text("en"), b.Text("en")))
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func holds(op opKind, c int) bool {
	switch op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opGt:
		return c > 0
	case opLe:
		return c <= 0
	}
	return c >= 0
}

// Lexer.

type tokKind uint8

const (
	tEOF tokKind = iota
	tPath
	tIdent
	tString
	tNumber
	tOp
	tLParen
	tRParen
)

type token struct {
	kind tokKind
	text string // source text; for tString the unquoted value
	col  int
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		col := i + 1
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", col})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", col})
			i++
		case c == '$':
			n := pathLen(src[i:])
			toks = append(toks, token{tPath, src[i : i+n], col})
			i += n
		case c == '\'' || c == '"':
			s, n, err := unquote(src[i:])
			if err != nil {
				return nil, fmt.Errorf("column %d: %w", col, err)
			}
			toks = append(toks, token{tString, s, col})
			i += n
		case c == '-' || (c >= '0' && c <= '9'):
			n := numberLen(src[i:])
			if n == 0 {
				return nil, fmt.Errorf("column %d: unexpected -", col)
			}
			toks = append(toks, token{tNumber, src[i : i+n], col})
			i += n
		case strings.ContainsRune("=!<>&|", rune(c)):
			op := src[i:min(i+2, len(src))]
			switch op {
			case "==", "!=", "<=", ">=", "&&", "||":
			default:
				op = src[i : i+1]
				switch op {
				case "=":
					return nil, fmt.Errorf("column %d: use == to compare", col)
				case "&", "|":
					return nil, fmt.Errorf("column %d: use %s%s", col, op, op)
				}
			}
			toks = append(toks, token{tOp, op, col})
			i += len(op)
		default:
			n := identLen(src[i:])
			if n == 0 {
				return nil, fmt.Errorf("column %d: unexpected %q", col, src[i:i+1])
			}
			toks = append(toks, token{tIdent, src[i : i+n], col})
			i += n
		}
	}
	return append(toks, token{kind: tEOF, text: "end of condition", col: len(src) + 1}), nil
}

// pathLen measures a JSONPath token: it runs to the first space or operator
// outside brackets and quotes.
func pathLen(s string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth == 0 && strings.IndexByte(" \t\r\n=!<>&|()", c) >= 0:
			return i
		}
	}
	return len(s)
}

func numberLen(s string) int {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
		(i > start && (s[i] == '+' || s[i] == '-') && (s[i-1] == 'e' || s[i-1] == 'E'))) {
		i++
	}
	if i == start {
		return 0
	}
	return i
}

func identLen(s string) int {
	for i, r := range s {
		ok := r == '_' || isLetter(r) || (i > 0 && (isDigit(r) || r == '.' || r == '-'))
		if !ok {
			return i
		}
	}
	return len(s)
}

// Parser: or := and ("||" and)*; and := unary ("&&" unary)*;
// unary := "!" unary | cmp; cmp := primary (op primary)?;
// primary := "(" or ")" | operand.

type condParser struct {
	toks  []token
	pos   int
	depth int
	vars  []string
	seen  map[string]bool
}

func (p *condParser) peek() token { return p.toks[p.pos] }

func (p *condParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *condParser) or() (*cnode, error) {
	l, err := p.and()
	for err == nil && p.peek().kind == tOp && p.peek().text == "||" {
		p.next()
		var r *cnode
		if r, err = p.and(); err == nil {
			l = &cnode{op: opOr, l: l, r: r}
		}
	}
	return l, err
}

func (p *condParser) and() (*cnode, error) {
	l, err := p.unary()
	for err == nil && p.peek().kind == tOp && p.peek().text == "&&" {
		p.next()
		var r *cnode
		if r, err = p.unary(); err == nil {
			l = &cnode{op: opAnd, l: l, r: r}
		}
	}
	return l, err
}

// maxDepth bounds nesting of ! and parentheses.
const maxDepth = 64

func (p *condParser) unary() (*cnode, error) {
	if t := p.peek(); t.kind == tOp && t.text == "!" {
		p.next()
		if p.depth++; p.depth > maxDepth {
			return nil, fmt.Errorf("column %d: nested too deeply", t.col)
		}
		n, err := p.unary()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &cnode{op: opNot, l: n}, nil
	}
	return p.cmp()
}

var compareOps = map[string]opKind{"==": opEq, "!=": opNe, "<": opLt, ">": opGt, "<=": opLe, ">=": opGe}

func (p *condParser) cmp() (*cnode, error) {
	l, err := p.primary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	op, ok := compareOps[t.text]
	if t.kind != tOp || !ok {
		return l, nil
	}
	p.next()
	r, err := p.primary()
	if err != nil {
		return nil, err
	}
	if nt := p.peek(); nt.kind == tOp {
		if _, chained := compareOps[nt.text]; chained {
			return nil, fmt.Errorf("column %d: chained comparison; join comparisons with && or ||", nt.col)
		}
	}
	return &cnode{op: op, l: l, r: r}, nil
}

func (p *condParser) primary() (*cnode, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		if p.depth++; p.depth > maxDepth {
			return nil, fmt.Errorf("column %d: nested too deeply", t.col)
		}
		n, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, fmt.Errorf("column %d: expected ) to close ( at column %d", c.col, t.col)
		}
		return n, nil
	case tPath:
		path, err := ParsePath(t.text)
		if err != nil {
			return nil, fmt.Errorf("column %d: %s: %w", t.col, t.text, err)
		}
		return &cnode{kind: operandPath, path: path}, nil
	case tString:
		return &cnode{kind: operandLiteral, lit: Str(t.text)}, nil
	case tNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("column %d: bad number %s", t.col, t.text)
		}
		return &cnode{kind: operandLiteral, lit: Value{Kind: Number, Num: f, Str: t.text}}, nil
	case tIdent:
		switch t.text {
		case "true", "false":
			return &cnode{kind: operandLiteral, lit: Value{Kind: Bool, Bool: t.text == "true"}}, nil
		case "null":
			return &cnode{kind: operandLiteral, lit: Value{Kind: Null}}, nil
		case "http.status":
			return &cnode{kind: operandStatus}, nil
		}
		if strings.HasPrefix(t.text, "http.") {
			return nil, fmt.Errorf("column %d: unknown %s (only http.status is available)", t.col, t.text)
		}
		if !p.seen[t.text] {
			if p.seen == nil {
				p.seen = map[string]bool{}
			}
			p.seen[t.text] = true
			p.vars = append(p.vars, t.text)
		}
		return &cnode{kind: operandVar, name: t.text}, nil
	case tEOF:
		return nil, fmt.Errorf("column %d: condition ends too early", t.col)
	}
	return nil, fmt.Errorf("column %d: unexpected %s", t.col, t.text)
}
