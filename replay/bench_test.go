package replay

import (
	"context"
	"testing"

	"github.com/voiceagent/voiceagent/transcript"
)

// BenchmarkReplay replays testdata/booking.yaml offline: the engine, the
// requests' rendering and the stubbed answers' mapping, every expectation
// checked. The transcript is parsed once, as a suite of many runs would
// cache it; the agent is loaded once by the Runner.
func BenchmarkReplay(b *testing.B) {
	t, err := transcript.Load("testdata/booking.yaml")
	if err != nil {
		b.Fatal(err)
	}
	r := &Runner{}
	ctx := context.Background()
	if res := r.Run(ctx, t); !res.Passed {
		b.Fatalf("booking.yaml does not pass: %+v", res)
	}
	perRun := len(t.Turns)
	allocs := testing.AllocsPerRun(50, func() { r.Run(ctx, t) })
	b.ReportAllocs()
	for b.Loop() {
		r.Run(ctx, t)
	}
	b.ReportMetric(float64(b.N*perRun)/b.Elapsed().Seconds(), "turns/s")
	b.ReportMetric(allocs/float64(perRun), "allocs/turn")
}
