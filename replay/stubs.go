package replay

import (
	"context"
	"errors"
	"fmt"

	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/tools"
	"github.com/voiceagent/voiceagent/transcript"
)

// stubs answers services during a turn: first from the requests recorded in
// the turn, then from the transcript's stubs by intent, then (live) from the
// real service. A service with none of these fails the turn.
type stubs struct {
	live     session.Executor // nil offline
	stubs    map[string]transcript.Response
	recorded []transcript.Request
	failures []string
}

func (x *stubs) begin(recorded []transcript.Request) {
	x.recorded = append([]transcript.Request(nil), recorded...)
	x.failures = nil
}

func (x *stubs) Execute(ctx context.Context, svc *tools.Service, in tools.Input) *tools.Result {
	if resp, ok := x.answer(svc.Intent); ok {
		return session.Answer(svc, in, resp)
	}
	if x.live != nil {
		res := x.live.Execute(ctx, svc, in)
		if errors.Is(res.Err, tools.ErrUnsetEnv) {
			x.failures = append(x.failures, fmt.Sprintf("%s not sent: %v", svc.Intent, res.Err))
		}
		return res
	}
	x.failures = append(x.failures, fmt.Sprintf("no stub for %s: add one under stubs: or replay with --live", svc.Intent))
	return (&session.Stubs{}).Execute(ctx, svc, in)
}

// answer takes the first recorded request of this turn for the intent, or
// the transcript's stub.
func (x *stubs) answer(intent string) (transcript.Response, bool) {
	for i, r := range x.recorded {
		if r.Intent == intent && r.Response != nil {
			x.recorded = append(x.recorded[:i], x.recorded[i+1:]...)
			return *r.Response, true
		}
	}
	r, ok := x.stubs[intent]
	return r, ok
}
