package procs

import (
	"context"
	"log/slog"
	"runtime"
	"slices"
	"testing"
	"time"
)

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func join(parts ...[]float64) []float64 {
	var out []float64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestNext: the Ps a sizer decides, check by check, for the cores used.
func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		used []float64
		want []int // after each check, or only after the last
	}{
		{"starts with all", 2, []float64{0.4}, []int{2}},
		{"a light load: one after Down checks", 2, repeat(0.2, Down), []int{1}},
		{"not before", 2, repeat(0.2, Down-1), []int{2}},
		{"a busy second among quiet ones", 2, join(repeat(0.2, Down-1), []float64{0.45}), []int{1}},
		{"busy on average: two", 2, join(repeat(0.3, Down-3), repeat(0.5, 3)), []int{2}},
		{"at Low the load stays on two", 2, repeat(0.36, 3*Down), []int{2}},
		{"a change starts the average again", 8, join(repeat(0.1, Down), repeat(0.1, Down-1)), []int{7}},
		{"over half a P: back to two at once", 2, join(repeat(0.2, Down), []float64{0.3, 0.51}), []int{2}},
		{"each check", 2, join(repeat(0.2, Down), []float64{0.3, 0.51, 0.4}),
			[]int{2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 2, 2}},
		{"never over max", 2, join(repeat(0.1, Down), []float64{0.99}), []int{2}},
		{"a saturated P on a big machine: as many as the load needs", 8, join(repeat(0.1, 7*Down), []float64{1, 2.6}), []int{6}},
		{"one at a time down", 8, repeat(0.1, 3*Down), []int{5}},
		{"one P given: nothing to do", 1, repeat(2, 3), []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.max)
			var got []int
			for _, u := range tc.used {
				got = append(got, s.Next(u))
			}
			if len(tc.want) > 1 {
				if !slices.Equal(got, tc.want) {
					t.Errorf("Ps %v for %v; want %v", got, tc.used, tc.want)
				}
			} else if got[len(got)-1] != tc.want[0] {
				t.Errorf("%d Ps after %v; want %d", got[len(got)-1], tc.used, tc.want[0])
			}
		})
	}
}

// TestRun: a process doing nothing is given one P within Down checks,
// and all of them back when Run ends.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("takes Down seconds")
	}
	given := runtime.GOMAXPROCS(0)
	if given < 2 {
		t.Skip("one P given")
	}
	if _, ok := cpuTime(); !ok {
		t.Skip("no CPU time here")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, slog.New(slog.DiscardHandler))
	}()
	deadline := time.Now().Add(time.Duration(Down+20) * Every)
	for runtime.GOMAXPROCS(0) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("still %d Ps", runtime.GOMAXPROCS(0))
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	if n := runtime.GOMAXPROCS(0); n != given {
		t.Errorf("%d Ps after Run; want %d back", n, given)
	}
}

func TestCPUTime(t *testing.T) {
	a, ok := cpuTime()
	if !ok {
		t.Skip("no CPU time here")
	}
	for end := time.Now().Add(20 * time.Millisecond); time.Now().Before(end); {
	}
	if b, _ := cpuTime(); b <= a {
		t.Errorf("CPU time %v then %v after spinning", a, b)
	}
}
