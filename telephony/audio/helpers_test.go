package audio

import (
	"math"
	"math/rand/v2"
)

// Signal helpers for the tests: audio is checked by level and frequency,
// not by bytes.

// sine returns n samples of a sine of freq Hz and peak amp at rate Hz.
func sine(rate int, freq, amp float64, n int) PCM16 {
	out := make(PCM16, n)
	for i := range out {
		out[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

// noise returns n samples of deterministic white noise, uniform in
// [-amp, amp].
func noise(seed uint64, amp float64, n int) PCM16 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make(PCM16, n)
	for i := range out {
		out[i] = int16(math.Round(amp * (2*rng.Float64() - 1)))
	}
	return out
}

// mix adds b into a, saturating, and returns a.
func mix(a, b PCM16) PCM16 {
	for i := range min(len(a), len(b)) {
		a[i] = int16(max(math.MinInt16, min(math.MaxInt16, int32(a[i])+int32(b[i]))))
	}
	return a
}

// toneAmp estimates the peak amplitude of the freq Hz component of x with
// the Goertzel algorithm; x should hold a whole number of its cycles.
func toneAmp(x PCM16, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	return 2 * math.Hypot(re, im) / float64(len(x))
}

// db is 20 log10(a/b).
func db(a, b float64) float64 { return 20 * math.Log10(a/b) }
