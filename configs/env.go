package configs

import (
	"fmt"
	"net/url"
	"strings"
)

// expansion is the result of expanding ${ENV} references in a text.
type expansion struct {
	text    string
	missing []string // unset variables without a default, as problems name them
	unset   []string // their names
	secrets []string // values that came from the environment
}

// expandEnv replaces ${NAME} and ${NAME:-default} in s with values from
// lookup; $${ writes a literal ${. A variable that is unset or empty,
// without a default, is missing and its reference stays in the text as
// written. Error texts name variables, never values.
func expandEnv(s string, lookup func(string) (string, bool)) (expansion, error) {
	if !strings.Contains(s, "${") {
		return expansion{text: s}, nil
	}
	var b strings.Builder
	var x expansion
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			x.text = b.String()
			return x, nil
		}
		if i > 0 && s[i-1] == '$' { // $${ is an escaped ${
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return expansion{}, fmt.Errorf("unterminated ${ (write $${ for a literal ${)")
		}
		ref := s[i+2 : i+end]
		s = s[i+end+1:]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !isEnvName(name) {
			return expansion{}, fmt.Errorf("invalid environment variable name %q", name)
		}
		if v, ok := lookup(name); ok && v != "" {
			b.WriteString(v)
			x.secrets = append(x.secrets, v)
		} else if hasDef {
			b.WriteString(def)
		} else {
			b.WriteString("${" + ref + "}")
			x.unset = append(x.unset, name)
			if ok {
				x.missing = append(x.missing, name+" (set but empty)")
			} else {
				x.missing = append(x.missing, name)
			}
		}
	}
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// redact replaces every secret in text, as written or URL-escaped, with
// [redacted].
func redact(text string, secrets []string) string {
	for _, sec := range secrets {
		for _, form := range []string{sec, url.PathEscape(sec), url.QueryEscape(sec)} {
			text = strings.ReplaceAll(text, form, "[redacted]")
		}
	}
	return text
}
