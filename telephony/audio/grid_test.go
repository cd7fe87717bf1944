package audio

import (
	"testing"
	"time"
)

func TestOnGrid(t *testing.T) {
	const grid = 10 * time.Millisecond
	ms := time.Millisecond
	tests := []struct {
		since, d, want time.Duration // since: now, from the grid's origin
	}{
		{0, 0, 0},
		{0, 1 * ms, 10 * ms},
		{0, 10 * ms, 10 * ms},
		{0, 11 * ms, 20 * ms},
		{3 * ms, 7 * ms, 7 * ms},
		{3 * ms, 8 * ms, 17 * ms},
		{3 * ms, 0, 7 * ms},
		{20 * ms, 400 * ms, 400 * ms},
		{20*ms + 1, 400 * ms, 410*ms - 1},
	}
	for _, tt := range tests {
		now := gridOrigin.Add(tt.since)
		got := OnGrid(now, tt.d, grid)
		if got != tt.want {
			t.Errorf("%v after the origin, %v: OnGrid = %v, want %v", tt.since, tt.d, got, tt.want)
		}
		if got < tt.d || now.Add(got).Sub(gridOrigin)%grid != 0 {
			t.Errorf("%v after the origin, %v: %v is short or off the grid", tt.since, tt.d, got)
		}
	}
	if got := OnGrid(gridOrigin.Add(3*ms), 8*ms, 0); got != 8*ms {
		t.Errorf("no grid: %v, want the wait as asked", got)
	}
}
