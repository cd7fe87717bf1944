package speech

import (
	"fmt"
	"slices"
	"testing"
)

// quiet is n samples counting up from first, all below SilentPeak, so the
// lead's order can be read from them.
func quiet(first, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16((first + i) % SilentPeak)
	}
	return out
}

func loud(n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = -SilentPeak
	}
	return out
}

// span sums up a lead of quiet samples: how many, the first and last.
func span(pcm []int16) string {
	if len(pcm) == 0 {
		return "empty"
	}
	return fmt.Sprintf("of %d samples, %d to %d", len(pcm), pcm[0], pcm[len(pcm)-1])
}

func TestPeak(t *testing.T) {
	for _, tc := range []struct {
		pcm  []int16
		want int
	}{
		{nil, 0},
		{[]int16{0, 0}, 0},
		{[]int16{3, -7, 5}, 7},
		{[]int16{-32768, 32767}, 32768},
	} {
		if got := Peak(tc.pcm); got != tc.want {
			t.Errorf("Peak(%v) = %d, want %d", tc.pcm, got, tc.want)
		}
	}
}

// TestGate: the frames before the first loud one are held back and only
// the latest PreRoll of them comes out with it, oldest first; then every
// frame passes until Reset, after which the quiet is held back again.
func TestGate(t *testing.T) {
	const rate = 1000 // PreRoll is 300 samples
	for _, tc := range []struct {
		name   string
		before [][]int16 // quiet frames, then a loud one
		lead   []int16
	}{
		{"loud at once", nil, nil},
		{"less than PreRoll", [][]int16{quiet(0, 100), quiet(100, 50)}, quiet(0, 150)},
		{"exactly PreRoll", [][]int16{quiet(0, 200), quiet(200, 100)}, quiet(0, 300)},
		{"round the ring", [][]int16{quiet(0, 200), quiet(200, 200), quiet(400, 170)}, quiet(270, 300)},
		{"a frame longer than the ring", [][]int16{quiet(0, 50), quiet(50, 700)}, quiet(450, 300)},
		{"empty frames", [][]int16{{}, quiet(0, 20), {}}, quiet(0, 20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Gate{Rate: rate}
			for range 2 { // and again after Reset
				for i, f := range tc.before {
					if o, n, pass := g.Pass(f); pass || len(o)+len(n) != 0 || g.Open() {
						t.Fatalf("quiet frame %d passed (%d, %d, %v)", i, len(o), len(n), pass)
					}
				}
				o, n, pass := g.Pass(loud(20))
				if !pass || !g.Open() {
					t.Fatal("the loud frame did not pass")
				}
				if got := append(slices.Clone(o), n...); !slices.Equal(got, tc.lead) {
					t.Errorf("lead %s, want %s", span(got), span(tc.lead))
				}
				for _, f := range [][]int16{quiet(0, 20), loud(20), {}} {
					if o, n, pass := g.Pass(f); !pass || len(o)+len(n) != 0 {
						t.Errorf("a frame after the loud one: %d, %d, %v", len(o), len(n), pass)
					}
				}
				g.Reset()
				if g.Open() {
					t.Fatal("open after Reset")
				}
			}
		})
	}
}

// A frame of quiet, and one through an open gate, allocate nothing once
// the ring has grown.
func TestGateAllocs(t *testing.T) {
	g := Gate{Rate: 8000}
	frame := quiet(0, 160)
	g.Pass(frame)
	if n := testing.AllocsPerRun(100, func() { g.Pass(frame) }); n != 0 {
		t.Errorf("quiet: %v allocations a frame", n)
	}
	g.Pass(loud(160))
	if n := testing.AllocsPerRun(100, func() { g.Pass(frame) }); n != 0 {
		t.Errorf("open: %v allocations a frame", n)
	}
}
