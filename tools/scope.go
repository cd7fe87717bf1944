package tools

import (
	"time"

	"github.com/voiceagent/voiceagent/tools/expr"
)

// scope resolves variables: mapped response variables first (the API's
// answer wins), then collected fields, then system variables.
type scope struct {
	cat    *Catalog
	in     *Input
	mapped []Var
	doc    string
	status int
}

func (c *Catalog) newScope(in *Input, mapped []Var) *scope {
	return &scope{cat: c, in: in, mapped: mapped}
}

func (sc *scope) Lookup(name string) expr.Value {
	for i := range sc.mapped {
		if sc.mapped[i].Name == name {
			return sc.mapped[i].Value
		}
	}
	if v, ok := sc.in.Fields[name]; ok {
		return expr.Str(v)
	}
	v, _ := expr.System(name, sc)
	return v
}

// Now is the call's time in the agent's time zone: the input's, or the
// clock's when it has none.
func (sc *scope) Now() time.Time {
	if sc.in.Now.IsZero() {
		return time.Now().In(sc.cat.Location)
	}
	return sc.in.Now.In(sc.cat.Location)
}

func (sc *scope) CallID() string       { return sc.in.CallID }
func (sc *scope) AgentID() string      { return sc.cat.Agent.Name }
func (sc *scope) CallerNumber() string { return sc.in.CallerNumber }

func (sc *scope) Language() string         { return sc.cat.Agent.Language }
func (sc *scope) Location() *time.Location { return sc.cat.Location }
func (sc *scope) Response() string         { return sc.doc }
func (sc *scope) Status() int              { return sc.status }
