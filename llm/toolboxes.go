package llm

import (
	"runtime"
	"sync"
	"weak"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
)

// toolboxes keeps the toolbox of each agent and service in progress, so
// that a turn neither builds nor encodes the functions' schemas again: on
// a busy server that was a tenth of the time spent understanding.
//
// It relies on an agent not changing once its calls have begun (agents
// are rebuilt as a new value when their config or MCP tools change), and
// lets go of an agent's toolboxes when the agent itself is collected.
type toolboxes struct {
	agents sync.Map // weak.Pointer[configs.Agent] → *agentBoxes
}

// agentBoxes is one agent's toolboxes by the intent in progress ("" for
// none); there are at most as many as the agent has services, plus one.
type agentBoxes struct {
	mu       sync.Mutex
	byIntent map[string]*toolbox
}

func (t *toolboxes) get(q *dialog.Query) *toolbox {
	key := weak.Make(q.Agent)
	v, ok := t.agents.Load(key)
	if !ok {
		var loaded bool
		v, loaded = t.agents.LoadOrStore(key, &agentBoxes{byIntent: map[string]*toolbox{}})
		if !loaded {
			runtime.AddCleanup(q.Agent, func(k weak.Pointer[configs.Agent]) { t.agents.Delete(k) }, key)
		}
	}
	ab := v.(*agentBoxes)
	intent := q.State.Intent
	ab.mu.Lock()
	defer ab.mu.Unlock()
	if tb := ab.byIntent[intent]; tb != nil {
		return tb
	}
	if q.Agent.Service(intent) == nil {
		intent = "" // no service in progress: kept once, whatever the name
		if tb := ab.byIntent[intent]; tb != nil {
			return tb
		}
	}
	tb := buildTools(q)
	ab.byIntent[intent] = tb
	return tb
}
