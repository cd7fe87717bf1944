//go:build !race

package audio

import "testing"

// Zero allocations per 20 ms frame in steady state for the 22050 Hz pairs
// too, whose filters have hundreds of phases. (The race detector
// allocates, hence the tag.)
func TestResampler22050Allocs(t *testing.T) {
	for _, pair := range espeakRatePairs {
		r, _ := NewResampler(pair.in, pair.out)
		in, dst := sine(pair.in, 440, 8000, FrameSize(pair.in)), make(PCM16, 0, FrameSize(pair.out))
		dst = r.Resample(dst[:0], in)
		if n := testing.AllocsPerRun(100, func() { dst = r.Resample(dst[:0], in) }); n != 0 {
			t.Errorf("%v: %v allocations per frame, want 0", r, n)
		}
	}
}
