package configs

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/voiceagent/voiceagent/internal/suggest"
)

var (
	agentName  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	intentName = regexp.MustCompile(`^[\p{L}\p{N}_.-]+$`)
	varName    = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}_.-]*$`)
	// placeholder matches a {{...}} in an endpoint; tools compiles it.
	placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)
)

// MaxRetries bounds retries per service; each retry is heard as silence.
const MaxRetries = 5

// MaxTimeout bounds a service's timeout; a caller will not wait longer.
const MaxTimeout = 2 * time.Minute

type validator struct {
	src      *Source
	problems Problems
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, v.src.Problem(path, fmt.Sprintf(format, args...)))
}

// validate checks what can be checked without compiling templates, expands
// ${ENV} references and resolves integration tools against their base URL
// and headers.
func (a *Agent) validate() Problems {
	v := &validator{src: a.Source}
	if !agentName.MatchString(a.Name) {
		v.add("name", "%q is not a valid agent name: use lowercase letters, digits and hyphens", a.Name)
	}
	if a.Language != "es" && a.Language != "en" {
		v.add("language", "unknown language %q: want es or en", a.Language)
	}
	if _, err := time.LoadLocation(a.Timezone); err != nil || a.Timezone == "Local" {
		v.add("timezone", "unknown time zone %q: want an IANA name like America/Lima", a.Timezone)
	}
	if a.Phrasing != "" && a.Phrasing != PhrasingConfigured && a.Phrasing != PhrasingLLM {
		v.add("phrasing", "unknown phrasing %q: want configured or llm%s", a.Phrasing, suggest.DidYouMean(a.Phrasing, []string{PhrasingConfigured, PhrasingLLM}))
	}
	if a.MaxAttempts < 0 {
		v.add("maxAttempts", "must be at least 1")
	}
	if a.NoInput.Timeout < Duration(time.Second) || a.NoInput.Timeout > Duration(5*time.Minute) {
		v.add("noInput.timeout", "must be between 1s and 5m")
	}
	if a.NoInput.Reprompts < 0 || a.NoInput.Reprompts > 10 {
		v.add("noInput.reprompts", "must be between 0 and 10")
	}
	v.transferNumber(a)
	v.voice(&a.Voice)
	for _, kv := range a.Phrases {
		if !slices.Contains(PhraseKeys, kv.Key) {
			v.add(join("phrases", kv.Key), "unknown phrase %q%s", kv.Key, suggest.DidYouMean(kv.Key, PhraseKeys))
		}
	}
	for i := range a.Services {
		v.service(&a.Services[i], nil)
	}
	names := map[string]int{}
	for i := range a.Integrations {
		in := &a.Integrations[i]
		p := fmt.Sprintf("integrations[%d]", i)
		if in.Name == "" {
			v.add(p+".name", "required")
		} else if !agentName.MatchString(in.Name) {
			v.add(p+".name", "%q is not a valid integration name: use lowercase letters, digits and hyphens", in.Name)
		} else if first, dup := names[in.Name]; dup {
			v.add(p+".name", "duplicate integration %q (first at line %d)", in.Name, first)
		}
		names[in.Name] = v.src.Line(p + ".name")
		v.integration(in, p)
	}
	v.duplicateIntents(a)
	return v.problems
}

// transferNumber is E.164 without its spaces: an optional + and 6 to 15
// digits.
var transferNumber = regexp.MustCompile(`^\+?[0-9]{6,15}$`)

func (v *validator) transferNumber(a *Agent) {
	if a.TransferNumber == "" {
		return
	}
	written := a.TransferNumber
	if v.expand(&a.TransferNumber, "transferNumber", nil, nil) != expandedAll {
		return
	}
	if !transferNumber.MatchString(a.TransferNumber) {
		v.add("transferNumber", "%q is not a phone number: want 6 to 15 digits with an optional leading +, without spaces or dashes, like +5117001234", written)
	}
}

// voice checks the voice runtime's settings, defaults filled in.
func (v *validator) voice(vc *Voice) {
	between := func(d Duration, p string, lo, hi time.Duration) bool {
		if d.Std() < lo || d.Std() > hi {
			v.add("voice."+p, "must be between %s and %s", lo, hi)
			return false
		}
		return true
	}
	silence := between(vc.Silence, "silence", 100*time.Millisecond, 5*time.Second)
	if between(vc.DictationSilence, "dictationSilence", 100*time.Millisecond, 10*time.Second) && silence && vc.DictationSilence < vc.Silence {
		v.add("voice.dictationSilence", "%s is shorter than voice.silence (%s): dictation needs at least as long a pause", vc.DictationSilence.Std(), vc.Silence.Std())
	}
	if between(vc.EarlySilence, "earlySilence", 50*time.Millisecond, 5*time.Second) && silence && vc.EarlySilence > vc.Silence {
		v.add("voice.earlySilence", "%s is longer than voice.silence (%s): an early end of turn must come sooner", vc.EarlySilence.Std(), vc.Silence.Std())
	}
	if vc.WaitMessageAfter != nil {
		between(*vc.WaitMessageAfter, "waitMessageAfter", 0, 30*time.Second)
	}
	between(vc.MaxDuration, "maxDuration", 30*time.Second, 4*time.Hour)
}

func (v *validator) integration(in *Integration, p string) {
	for i := range in.Headers {
		v.expand(&in.Headers[i].Value, join(p+".headers", in.Headers[i].Key), nil, &in.Unset)
		v.header(in.Headers[i], join(p+".headers", in.Headers[i].Key))
	}
	switch in.Type {
	case IntegrationHTTP:
		if in.BaseURL != "" {
			raw := in.BaseURL
			if v.expand(&in.BaseURL, p+".baseUrl", &in.Secrets, &in.Unset) == expandedAll {
				v.url(in.BaseURL, raw, p+".baseUrl")
				if strings.ContainsAny(in.BaseURL, "?#") {
					v.add(p+".baseUrl", "a base URL cannot have a query or fragment; put them in each tool's endpoint")
				}
			}
		}
		if len(in.Tools) == 0 {
			v.add(p+".tools", "an http integration needs at least one tool")
		}
		for _, f := range []struct {
			name string
			set  bool
		}{{"url", in.URL != ""}, {"command", len(in.Command) > 0}, {"confirm", len(in.Confirm) > 0}, {"include", len(in.Include) > 0},
			{"exclude", len(in.Exclude) > 0}, {"transport", in.Transport != ""}, {"timeout", in.Timeout != 0},
			{"responseMapping", len(in.ResponseMapping) > 0}, {"responseMessage", in.ResponseMessage != ""},
			{"responseConditions", len(in.ResponseConditions) > 0}, {"overrides", len(in.Overrides) > 0}} {
			if f.set {
				v.add(p+"."+f.name, "only for mcp integrations")
			}
		}
		for j := range in.Tools {
			v.service(&in.Tools[j], in)
		}
	case IntegrationMCP:
		switch {
		case in.URL == "" && len(in.Command) == 0:
			v.add(p, "an mcp integration needs url (streamable HTTP or SSE) or command (stdio)")
		case in.URL != "" && len(in.Command) > 0:
			v.add(p+".command", "give url or command, not both")
		case in.URL != "":
			raw := in.URL
			if v.expand(&in.URL, p+".url", &in.Secrets, &in.Unset) == expandedAll {
				v.url(in.URL, raw, p+".url")
			}
		default:
			for i := range in.Command {
				v.expand(&in.Command[i], fmt.Sprintf("%s.command[%d]", p, i), &in.Secrets, &in.Unset)
			}
		}
		if in.BaseURL != "" {
			v.add(p+".baseUrl", "only for http integrations; an mcp server is reached by url or command")
		}
		if len(in.Tools) > 0 {
			v.add(p+".tools", "the tools of an mcp integration come from its server; use include/exclude/confirm to select them")
		}
		for _, g := range []struct {
			key   string
			globs []string
		}{{"confirm", in.Confirm}, {"include", in.Include}, {"exclude", in.Exclude}} {
			for i, glob := range g.globs {
				if _, err := path.Match(glob, ""); err != nil || glob == "" {
					v.add(fmt.Sprintf("%s.%s[%d]", p, g.key, i), "bad tool-name glob %q", glob)
				}
			}
		}
		switch in.Transport {
		case TransportAuto, TransportStreamable, TransportSSE:
			if in.Transport != "" && len(in.Command) > 0 {
				v.add(p+".transport", "a command speaks stdio; transport is for url")
			}
		default:
			v.add(p+".transport", "unknown transport %q%s: want streamable or sse (or leave it out to try both)",
				in.Transport, suggest.DidYouMean(in.Transport, []string{TransportStreamable, TransportSSE}))
		}
		if in.Timeout == 0 {
			in.Timeout = Duration(DefaultTimeout)
		}
		v.timeout(in.Timeout, p+".timeout")
		v.conditions(in.ResponseConditions, p+".")
		v.mapping(in.ResponseMapping, p+".")
		seen := map[string]string{}
		for j := range in.Overrides {
			o := &in.Overrides[j]
			if prev, dup := seen[o.Intent]; dup && o.Intent != "" {
				v.add(o.Path+".intent", "a second override of tool %q (first at line %d)", o.Intent, v.src.Line(prev))
			}
			seen[o.Intent] = o.Path + ".intent"
			v.override(o)
		}
	case "":
		v.add(p+".type", "required: http or mcp")
	default:
		v.add(p+".type", "unknown integration type %q%s: want http or mcp", in.Type, suggest.DidYouMean(in.Type, []string{IntegrationHTTP, IntegrationMCP}))
	}
}

func (v *validator) service(s *Service, in *Integration) {
	p := prefix(s.Path)
	switch {
	case s.Intent == "":
		v.add(p+"intent", "required")
	case !intentName.MatchString(s.Intent):
		v.add(p+"intent", "%q is not a valid intent: use letters, digits, _ . and -", s.Intent)
	}
	if !slices.Contains(Methods, s.Method) {
		v.add(p+"method", "unknown method %q%s: want one of %s", s.Method, suggest.DidYouMean(s.Method, Methods), strings.Join(Methods, ", "))
	}
	for i := range s.Headers {
		hp := join(p+"headers", s.Headers[i].Key)
		v.expand(&s.Headers[i].Value, hp, nil, &s.Unset)
		v.header(s.Headers[i], hp)
	}
	v.endpoint(s, in, p)
	if in != nil {
		s.Headers = mergeHeaders(in.Headers, s.Headers)
		s.Unset = append(s.Unset, in.Unset...)
	}
	slices.Sort(s.Unset)
	s.Unset = slices.Compact(s.Unset)
	v.fields(s, p)
	if _, isObject := s.BodyTemplate.(Object); !isObject && s.BodyTemplate != nil && (s.Method == "GET" || s.Method == "DELETE") {
		v.add(p+"bodyTemplate", "a %s service sends its bodyTemplate as query parameters, so it must be an object", s.Method)
	}
	v.replies(s, p)
	v.waitMessage(s.WaitMessage, p)
	v.timeout(s.Timeout, p+"timeout")
	switch {
	case s.Retries < 0 || s.Retries > MaxRetries:
		v.add(p+"retries", "must be between 0 and %d", MaxRetries)
	case s.Retries > 0 && (s.Method == "POST" || s.Method == "PATCH"):
		v.add(p+"retries", "%s requests are never retried (they are not idempotent); remove retries", s.Method)
	}
}

// override checks the refinement of an MCP tool: what the server cannot
// know, and nothing about how it is called.
func (v *validator) override(o *Service) {
	p := o.Path + "."
	switch {
	case o.Intent == "":
		v.add(p+"intent", "required: the name of the tool it refines")
	case !intentName.MatchString(o.Intent):
		v.add(p+"intent", "%q is not a valid tool name", o.Intent)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"method", o.Method != ""}, {"endpoint", o.Endpoint != ""}, {"headers", len(o.Headers) > 0},
		{"bodyTemplate", o.BodyTemplate != nil}, {"retries", o.Retries != 0}} {
		if f.set {
			v.add(p+f.name, "an mcp tool is called through its server; remove %s", f.name)
		}
	}
	seen := map[string]bool{}
	for i := range o.RequiredFields {
		f := &o.RequiredFields[i]
		fp := fmt.Sprintf("%srequiredFields[%d]", p, i)
		switch {
		case f.Name == "":
			v.add(fp+".name", "required: the name of the tool's field (nested ones dotted, like address.city)")
		case seen[f.Name]:
			v.add(fp+".name", "duplicate field %q", f.Name)
		}
		seen[f.Name] = true
		if f.Type != "" && !slices.Contains(FieldTypes, f.Type) {
			v.add(fp+".type", "unknown type %q%s: want one of %s", f.Type, suggest.DidYouMean(f.Type, FieldTypes), strings.Join(FieldTypes, ", "))
		}
		if f.Optional {
			v.add(fp+".optional", "the tool's schema says which fields are required")
		}
		v.enumAndPattern(f, fp)
	}
	if o.WaitMessage != "" {
		v.add(p+"waitMessage", "not supported on mcp tools yet (a slow tool says the agent's \"working\" phrase); remove waitMessage")
	}
	v.replies(o, p)
	if o.Timeout != 0 { // 0: the integration's
		v.timeout(o.Timeout, p+"timeout")
	}
}

// replies checks what a service or an override says about its answer and
// how callers ask for it.
func (v *validator) replies(s *Service, p string) {
	v.mapping(s.ResponseMapping, p)
	v.conditions(s.ResponseConditions, p)
	for i, e := range s.Examples {
		if strings.TrimSpace(e) == "" {
			v.add(fmt.Sprintf("%sexamples[%d]", p, i), "empty example")
		}
	}
}

// waitMessage checks what a slow service says: plain text, short.
func (v *validator) waitMessage(msg, p string) {
	switch {
	case msg == "":
	case strings.TrimSpace(msg) == "":
		v.add(p+"waitMessage", "empty message: remove waitMessage to say the agent's \"working\" phrase")
	case strings.Contains(msg, "{{"):
		v.add(p+"waitMessage", "plain text only: {{placeholders}} are not filled in here")
	case utf8.RuneCountInString(msg) > MaxWaitMessage:
		v.add(p+"waitMessage", "%d characters, more than %d: a caller waiting wants it short", utf8.RuneCountInString(msg), MaxWaitMessage)
	}
}

func (v *validator) timeout(d Duration, p string) {
	if d.Std() < time.Millisecond || d.Std() > MaxTimeout {
		v.add(p, "must be between 1ms and %s", MaxTimeout)
	}
}

func (v *validator) mapping(m Pairs, p string) {
	for _, pair := range m {
		mp := join(p+"responseMapping", pair.Key)
		if !varName.MatchString(pair.Key) {
			v.add(mp, "%q is not a valid variable name", pair.Key)
		} else if IsSystemVar(pair.Key) {
			v.add(mp, "%q is a system variable; choose another name", pair.Key)
		}
	}
}

func (v *validator) conditions(cs []Condition, p string) {
	for i, c := range cs {
		cp := fmt.Sprintf("%sresponseConditions[%d]", p, i)
		if strings.TrimSpace(c.Condition) == "" {
			v.add(cp+".condition", "required")
		}
		if strings.TrimSpace(c.Message) == "" {
			v.add(cp+".message", "required")
		}
	}
}

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + "."
}

func (v *validator) endpoint(s *Service, in *Integration, p string) {
	if s.Endpoint == "" {
		v.add(p+"endpoint", "required")
		return
	}
	raw := s.Endpoint
	expanded := v.expand(&s.Endpoint, p+"endpoint", &s.Secrets, &s.Unset)
	if in != nil {
		s.Secrets = append(s.Secrets, in.Secrets...)
	}
	if expanded == notExpanded {
		return
	}
	if strings.Contains(authority(s.Endpoint), "{{") {
		v.add(p+"endpoint", "placeholders may stand in the path and query, not in the host")
		return
	}
	probe := placeholder.ReplaceAllString(s.Endpoint, "x")
	u, err := url.Parse(probe)
	if err == nil && !u.IsAbs() && in != nil && in.BaseURL != "" {
		s.Endpoint = strings.TrimRight(in.BaseURL, "/") + "/" + strings.TrimLeft(s.Endpoint, "/")
		return
	}
	if expanded == expandedPartly {
		return // the URL is whole only once its variables are set
	}
	if err == nil && !u.IsAbs() {
		v.add(p+"endpoint", "%q is not an absolute http(s) URL", raw)
		return
	}
	v.url(probe, raw, p+"endpoint")
}

// authority is the host (and user and port) part of an absolute URL, or ""
// for a relative one.
func authority(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// url checks an expanded URL; problems quote it as written, so values from
// the environment never show.
func (v *validator) url(expanded, written, p string) {
	u, err := url.Parse(expanded)
	switch {
	case err != nil:
		v.add(p, "bad URL %q", written)
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(p, "bad URL %q: want http:// or https://", written)
	case u.Host == "":
		v.add(p, "bad URL %q: no host", written)
	default:
		if why := RefusedHost(u.Hostname()); why != "" {
			v.add(p, "URL %q: its host is %s; services may not reach link-local or cloud metadata addresses", written, why)
		}
	}
}

// expanded is how far expand got.
type expanded int

const (
	expandedAll    expanded = iota
	expandedPartly          // unset variables' references stay as written
	notExpanded             // a malformed reference: the text is as written
)

// expand replaces ${ENV} references in *s, adding the values that came
// from the environment to *secrets (when not nil) and the names of unset
// variables to *unset (when not nil); each unset variable is a problem of
// its own (UnsetEnv), and its reference stays in *s.
func (v *validator) expand(s *string, p string, secrets, unset *[]string) expanded {
	x, err := expandEnv(*s, os.LookupEnv)
	if err != nil {
		v.add(p, "%v", err)
		return notExpanded
	}
	for i, name := range x.missing {
		pr := v.src.Problem(p, fmt.Sprintf("environment variable %s is not set", name))
		pr.UnsetEnv = x.unset[i]
		v.problems = append(v.problems, pr)
	}
	*s = x.text
	if secrets != nil {
		*secrets = append(*secrets, x.secrets...)
	}
	if len(x.unset) == 0 {
		return expandedAll
	}
	if unset != nil {
		*unset = append(*unset, x.unset...)
	}
	return expandedPartly
}

// header checks a header without ever quoting its value.
func (v *validator) header(h Pair, p string) {
	if h.Key == "" || strings.ContainsAny(h.Key, " \t\r\n:()<>@,;\\\"/[]?={}") {
		v.add(p, "%q is not a valid header name", h.Key)
	}
	for _, reserved := range []string{"Host", "Content-Length", "Transfer-Encoding", "Connection"} {
		if strings.EqualFold(h.Key, reserved) {
			v.add(p, "%s is set by the HTTP client; remove it", reserved)
		}
	}
	if strings.ContainsAny(h.Value, "\r\n\x00") {
		v.add(p, "header values cannot contain line breaks")
	}
}

// mergeHeaders gives a tool the headers of its integration, its own winning.
func mergeHeaders(base, own Pairs) Pairs {
	out := make(Pairs, 0, len(base)+len(own))
	for _, b := range base {
		overridden := slices.ContainsFunc(own, func(o Pair) bool {
			return strings.EqualFold(o.Key, b.Key)
		})
		if !overridden {
			out = append(out, b)
		}
	}
	return append(out, own...)
}

func (v *validator) fields(s *Service, p string) {
	seen := map[string]bool{}
	for i := range s.RequiredFields {
		f := &s.RequiredFields[i]
		fp := fmt.Sprintf("%srequiredFields[%d]", p, i)
		switch {
		case f.Name == "":
			v.add(fp+".name", "required")
		case !varName.MatchString(f.Name):
			v.add(fp+".name", "%q is not a valid field name: use letters, digits and _", f.Name)
		case IsSystemVar(f.Name):
			v.add(fp+".name", "%q is a system variable; choose another name", f.Name)
		case seen[f.Name]:
			v.add(fp+".name", "duplicate field %q", f.Name)
		}
		seen[f.Name] = true
		if !slices.Contains(FieldTypes, f.Type) {
			v.add(fp+".type", "unknown type %q%s: want one of %s", f.Type, suggest.DidYouMean(f.Type, FieldTypes), strings.Join(FieldTypes, ", "))
		}
		v.enumAndPattern(f, fp)
	}
}

func (v *validator) enumAndPattern(f *Field, fp string) {
	for j, e := range f.Enum {
		if strings.TrimSpace(e) == "" {
			v.add(fmt.Sprintf("%s.enum[%d]", fp, j), "empty value")
		}
	}
	if f.Pattern != "" {
		if _, err := regexp.Compile(f.Pattern); err != nil {
			v.add(fp+".pattern", "bad regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	}
	switch {
	case f.When == "":
	case f.When != WhenPast && f.When != WhenFuture:
		v.add(fp+".when", "unknown %q: want past or future%s", f.When, suggest.DidYouMean(f.When, []string{WhenPast, WhenFuture}))
	case f.Type != TypeDate && f.Type != TypeDateTime:
		v.add(fp+".when", "only date and datetime fields look to the past or the future")
	}
}

func (v *validator) duplicateIntents(a *Agent) {
	first := map[string]string{}
	for _, s := range a.AllServices() {
		if s.Intent == "" {
			continue
		}
		p := prefix(s.Path) + "intent"
		if prev, dup := first[s.Intent]; dup {
			v.add(p, "duplicate intent %q (first at line %d)", s.Intent, v.src.Line(prev))
			continue
		}
		first[s.Intent] = p
	}
}
