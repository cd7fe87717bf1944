package audio

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var ratePairs = [][2]int{
	{8000, 16000}, {16000, 8000},
	{8000, 24000}, {24000, 8000},
	{16000, 24000}, {24000, 16000},
}

// response is the gain of the resampler's filter at freq Hz, normalised
// so the passband is 0 dB.
func response(f *polyphase, fs, freq float64) float64 {
	var sum complex128
	w := 2 * math.Pi * freq / fs
	for p := range f.l {
		for t := range f.taps {
			n := p + t*f.l
			sum += complex(f.coef[p*f.taps+f.taps-1-t], 0) * cmplx.Exp(complex(0, -w*float64(n)))
		}
	}
	return 20 * math.Log10(cmplx.Abs(sum)/float64(f.l))
}

// promises are what a filter is held to: flat within 0.01 dB and stopping
// by 68 dB (hifi), or within 0.05 dB and by 48 dB (the telephone's, down
// to 8 kHz).
func promises(f *polyphase) (ripple, stop float64) {
	if f.spec.db == telephone.db {
		return 0.05, 48
	}
	return 0.01, 68
}

// The designed filter keeps its promises: flat to 42% of the lower rate,
// and stopping from 55% of it (42.5% and 57.5% down to 8 kHz).
func TestResamplerFilterResponse(t *testing.T) {
	for _, pair := range ratePairs {
		r, err := NewResampler(pair[0], pair[1])
		if err != nil {
			t.Fatal(err)
		}
		lo, fs := float64(min(pair[0], pair[1])), float64(pair[0]*r.f.l)
		var ripple, stop float64
		stop = math.Inf(1)
		for freq := 0.0; freq <= r.f.spec.pass*lo; freq += 10 {
			ripple = max(ripple, math.Abs(response(r.f, fs, freq)))
		}
		for freq := r.f.spec.stop * lo; freq <= fs/2; freq += 10 {
			stop = min(stop, -response(r.f, fs, freq))
		}
		t.Logf("%v: %d taps/phase, passband ripple %.4f dB, stopband %.1f dB", r, r.f.taps, ripple, stop)
		if maxRipple, minStop := promises(r.f); ripple > maxRipple || stop < minStop {
			t.Errorf("%v: passband ripple %.4f dB (want <= %v), stopband %.1f dB (want >= %v)", r, ripple, maxRipple, stop, minStop)
		}
	}
}

// Tones in the band pass unchanged in level; above the lower rate's
// Nyquist frequency they are stopped instead of folding back.
func TestResamplerTones(t *testing.T) {
	const amp = 10000
	for _, pair := range ratePairs {
		in, out := pair[0], pair[1]
		t.Run(fmt.Sprintf("%d-%d", in, out), func(t *testing.T) {
			for _, freq := range []float64{300, 1000, 3000} {
				r, _ := NewResampler(in, out)
				y := r.Resample(nil, sine(in, freq, amp, in)) // one second
				y = y[out/10 : out/10+out/2]                  // 500 ms, after the filter has filled
				if g := db(toneAmp(y, out, freq), amp); math.Abs(g) > 0.1 {
					t.Errorf("%v Hz: gain %.3f dB, want within 0.1 dB", freq, g)
				}
			}
			// Downsampling: a tone above the output's Nyquist frequency.
			if out < in {
				freq := 0.75 * float64(in) / 2 // 6 kHz from 16 kHz, 9 kHz from 24 kHz
				if in == 24000 && out == 8000 {
					freq = 6000
				}
				r, _ := NewResampler(in, out)
				x := sine(in, freq, amp, in)
				y := r.Resample(nil, x)[out/10:]
				want := 60.0
				if out == telephoneRate {
					want = 45
				}
				if g := LevelDB(y) - LevelDB(x); g > -want {
					t.Errorf("%v Hz: attenuated by %.1f dB, want at least %v dB", freq, -g, want)
				}
			}
			// Upsampling: images of a 1 kHz tone around multiples of the input rate.
			if out > in {
				r, _ := NewResampler(in, out)
				checkImages(t, r.Resample(nil, sine(in, 1000, amp, in))[out/10:out/10+out/2], in, out, amp)
			}
		})
	}
}

// The acceptance figures of the brief, stated on their own: 24 kHz to
// 8 kHz stops a 6 kHz tone by at least 40 dB and passes 1 kHz within 1 dB,
// measured frame by frame as the runtime feeds it.
func TestResample24kTo8k(t *testing.T) {
	for _, c := range []struct {
		freq       float64
		minDB, max float64
	}{{1000, -1, 1}, {6000, math.Inf(-1), -40}} {
		r, _ := NewResampler(24000, 8000)
		x := sine(24000, c.freq, 16000, 24000)
		var y PCM16
		for fr := range slices.Chunk(x, FrameSize(24000)) {
			y = r.Resample(y, fr)
		}
		if len(y) != 8000 {
			t.Fatalf("%d samples out, want 8000", len(y))
		}
		y = y[800:]
		var g float64
		if c.freq < 4000 {
			g = db(toneAmp(y, 8000, c.freq), 16000)
		} else {
			g = LevelDB(y) - LevelDB(x) // all of it, wherever it folded
		}
		t.Logf("%v Hz: %.2f dB", c.freq, g)
		if g < c.minDB || g > c.max {
			t.Errorf("%v Hz: %.2f dB, want in [%v, %v]", c.freq, g, c.minDB, c.max)
		}
	}
}

// Feeding a signal in pieces of any size gives exactly what feeding it
// whole gives.
func TestResamplerStreamingIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, pair := range ratePairs {
		x := mix(noise(3, 8000, 2*pair[0]), sine(pair[0], 440, 10000, 2*pair[0]))
		whole, _ := NewResampler(pair[0], pair[1])
		want := whole.Resample(nil, x)
		if len(want) != 2*pair[1] {
			t.Errorf("%v: %d samples out of 2 s, want %d", whole, len(want), 2*pair[1])
		}
		for _, split := range []string{"frames", "random"} {
			r, _ := NewResampler(pair[0], pair[1])
			var got PCM16
			for rest := x; len(rest) > 0; {
				n := FrameSize(pair[0])
				if split == "random" {
					n = rng.IntN(700)
				}
				n = min(n, len(rest))
				got = r.Resample(got, rest[:n])
				rest = rest[n:]
			}
			if !slices.Equal(got, want) {
				t.Errorf("%v, %s: chunked output differs from whole", r, split)
			}
			r.Reset()
			if again := r.Resample(nil, x); !slices.Equal(again, want) {
				t.Errorf("%v: output after Reset differs from a new resampler", r)
			}
		}
	}
}

// Pure decimation folds the filter's symmetric taps (filterFolded): the
// outputs are the unfolded sums' but for rounding, at most one unit.
func TestResamplerFolded(t *testing.T) {
	for _, pair := range [][2]int{{24000, 8000}, {16000, 8000}, {48000, 16000}} {
		r, _ := NewResampler(pair[0], pair[1])
		if !r.f.folded {
			t.Fatalf("%v: filter not folded", r)
		}
		f := *r.f
		f.folded = false
		u := &Resampler{in: pair[0], out: pair[1], f: &f, work: make([]float64, f.taps-1, f.taps-1+FrameSize(pair[0]))}
		x := mix(noise(7, 12000, 2*pair[0]), sine(pair[0], 1000, 15000, 2*pair[0]))
		got, want := r.Resample(nil, x), u.Resample(nil, x)
		var differ int
		for i := range want {
			if d := int(got[i]) - int(want[i]); d != 0 {
				differ++
				if d < -1 || d > 1 {
					t.Fatalf("%v: sample %d is %d folded, %d not", r, i, got[i], want[i])
				}
			}
		}
		t.Logf("%v: %d of %d samples differ by one unit", r, differ, len(want))
	}
	for _, pair := range ratePairs {
		if r, _ := NewResampler(pair[0], pair[1]); r.f.folded != (r.f.l == 1) {
			t.Errorf("%v: folded %v with l = %d", r, r.f.folded, r.f.l)
		}
	}
}

func TestResamplerFrameSizes(t *testing.T) {
	for _, pair := range ratePairs {
		r, _ := NewResampler(pair[0], pair[1])
		for range 10 {
			if n := len(r.Resample(nil, make(PCM16, FrameSize(pair[0])))); n != FrameSize(pair[1]) {
				t.Fatalf("%v: 20 ms in gave %d samples, want %d", r, n, FrameSize(pair[1]))
			}
		}
		if out := r.Resample(PCM16{7}, nil); !slices.Equal(out, PCM16{7}) {
			t.Errorf("%v: empty input changed dst: %v", r, out)
		}
	}
}

func TestResamplerClips(t *testing.T) {
	// A full-scale square wave overshoots when filtered; it must saturate,
	// not wrap around.
	x := make(PCM16, 2400)
	for i := range x {
		x[i] = math.MaxInt16
		if i/60%2 == 1 {
			x[i] = math.MinInt16
		}
	}
	r, _ := NewResampler(24000, 8000)
	y := r.Resample(nil, x)
	for i := 1; i < len(y); i++ {
		if d := int(y[i]) - int(y[i-1]); d > 60000 || d < -60000 {
			t.Fatalf("jump of %d at %d: wrapped around", d, i)
		}
	}
}

func TestNewResamplerRates(t *testing.T) {
	for _, c := range [][2]int{{0, 8000}, {8000, 0}, {-8000, 8000}, {44100, 8000}, {8000, 7999}, {2_000_000, 8000}} {
		if _, err := NewResampler(c[0], c[1]); !errors.Is(err, ErrSampleRate) {
			t.Errorf("NewResampler(%d, %d) error = %v, want ErrSampleRate", c[0], c[1], err)
		}
	}
	for _, c := range [][2]int{{48000, 8000}, {8000, 48000}, {32000, 24000}, {12000, 8000}} {
		if _, err := NewResampler(c[0], c[1]); err != nil {
			t.Errorf("NewResampler(%d, %d): %v", c[0], c[1], err)
		}
	}
	r, err := NewResampler(8000, 8000)
	if err != nil {
		t.Fatal(err)
	}
	x := noise(1, 1000, 100)
	if y := r.Resample(nil, x); !slices.Equal(x, y) {
		t.Error("equal rates did not copy")
	}
}

// espeakRatePairs are the pairs with 22050 Hz (espeak-ng's rate), whose
// ratios reduce to large L/M: 160/441, 320/441, 160/147 and inverses.
var espeakRatePairs = []struct {
	in, out int
	// stopTone is a tone above the output's Nyquist frequency, for the
	// pairs that downsample.
	stopTone float64
}{
	{22050, 8000, 6000}, {8000, 22050, 0},
	{22050, 16000, 10000}, {16000, 22050, 0},
	{22050, 24000, 0}, {24000, 22050, 11500},
}

// fftResponse is the gain of f's prototype filter, normalised so the
// passband is 0 dB, at the frequencies k*fs/n for k in [0, n/2], by one
// zero-padded FFT: the filters of these pairs are too long (thousands of
// taps at several MHz) to evaluate frequency by frequency.
func fftResponse(f *polyphase, n int) []float64 {
	x := make([]complex128, n)
	for p := range f.l {
		for t := range f.taps {
			x[p+t*f.l] = complex(f.coef[p*f.taps+f.taps-1-t], 0)
		}
	}
	fft(x)
	out := make([]float64, n/2+1)
	for k := range out {
		out[k] = 20 * math.Log10(cmplx.Abs(x[k])/float64(f.l))
	}
	return out
}

// fft is an in-place radix-2 FFT; len(x) is a power of two.
func fft(x []complex128) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j |= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := range size / 2 {
				a, b := x[start+k], x[start+k+size/2]*wk
				x[start+k], x[start+k+size/2] = a+b, a-b
				wk *= w
			}
		}
	}
}

// The FFT agrees with the direct evaluation on a short filter.
func TestFFTResponse(t *testing.T) {
	r, _ := NewResampler(8000, 24000)
	const n = 1 << 12
	fs := float64(8000 * r.f.l)
	got := fftResponse(r.f, n)
	for _, k := range []int{0, 50, 300, 900, 1500, 2048} {
		want := response(r.f, fs, float64(k)*fs/n)
		// Compared as gains, not decibels: far in the stopband both are
		// rounding noise.
		if d := math.Abs(math.Pow(10, got[k]/20) - math.Pow(10, want/20)); d > 1e-9 {
			t.Errorf("bin %d: FFT %.6f dB, direct %.6f dB", k, got[k], want)
		}
	}
}

// The filters of the 22050 Hz pairs keep the same promises as the others:
// flat to 42% of the lower rate, stopping from 55% of it (50% from 24 kHz
// to 22.05 kHz), all the way to the upsampled rate's Nyquist frequency.
func TestResampler22050FilterResponse(t *testing.T) {
	for _, pair := range espeakRatePairs {
		r, err := NewResampler(pair.in, pair.out)
		if err != nil {
			t.Fatal(err)
		}
		lo, fs := float64(min(pair.in, pair.out)), float64(pair.in*r.f.l)
		n := 1
		for fs/float64(n) > 15 { // bins of 15 Hz or less
			n <<= 1
		}
		resp := fftResponse(r.f, n)
		var ripple float64
		stop := math.Inf(1)
		for k, g := range resp {
			switch freq := float64(k) * fs / float64(n); {
			case freq <= r.f.spec.pass*lo:
				ripple = max(ripple, math.Abs(g))
			case freq >= r.f.spec.stop*lo:
				stop = min(stop, -g)
			}
		}
		delay := time.Duration(float64(r.f.taps*r.f.l-1) / 2 / fs * float64(time.Second))
		t.Logf("%v: %d taps/phase, %d phases, passband ripple %.4f dB, stopband from %.0f Hz %.1f dB, delay %v", r, r.f.taps, r.f.l, ripple, r.f.spec.stop*lo, stop, delay)
		if maxRipple, minStop := promises(r.f); ripple > maxRipple || stop < minStop {
			t.Errorf("%v: passband ripple %.4f dB (want <= %v), stopband %.1f dB (want >= %v)", r, ripple, maxRipple, stop, minStop)
		}
		if delay > 2300*time.Microsecond { // 8 to 24 kHz: 2.23 ms
			t.Errorf("%v: delay %v, want at most 2.3ms", r, delay)
		}
	}
}

// As TestResamplerTones and TestResample24kTo8k, for the 22050 Hz pairs,
// fed frame by frame: 300 Hz, 1 kHz and 3 kHz pass within 0.1 dB; a tone
// above the output's Nyquist frequency is stopped by at least 60 dB
// instead of folding back; images of 1 kHz when upsampling are below
// -60 dB.
func TestResampler22050Tones(t *testing.T) {
	const amp = 10000
	run := func(r *Resampler, x PCM16) PCM16 {
		var y PCM16
		for fr := range slices.Chunk(x, FrameSize(r.in)) {
			y = r.Resample(y, fr)
		}
		return y
	}
	for _, pair := range espeakRatePairs {
		in, out := pair.in, pair.out
		t.Run(fmt.Sprintf("%d-%d", in, out), func(t *testing.T) {
			for _, freq := range []float64{300, 1000, 3000} {
				r, _ := NewResampler(in, out)
				y := run(r, sine(in, freq, amp, in)) // one second
				if len(y) != out {
					t.Fatalf("%d samples out of 1 s, want %d", len(y), out)
				}
				y = y[out/10 : out/10+out/2] // 500 ms, after the filter has filled
				g := db(toneAmp(y, out, freq), amp)
				t.Logf("%v Hz: %.4f dB", freq, g)
				if math.Abs(g) > 0.1 {
					t.Errorf("%v Hz: gain %.3f dB, want within 0.1 dB", freq, g)
				}
			}
			if pair.stopTone > 0 {
				r, _ := NewResampler(in, out)
				x := sine(in, pair.stopTone, amp, in)
				g := LevelDB(run(r, x)[out/10:]) - LevelDB(x) // all of it, wherever it folded
				t.Logf("%v Hz: %.1f dB", pair.stopTone, g)
				want := 60.0
				if out == telephoneRate {
					want = 45
				}
				if g > -want {
					t.Errorf("%v Hz: attenuated by %.1f dB, want at least %v dB", pair.stopTone, -g, want)
				}
			}
			if out > in {
				r, _ := NewResampler(in, out)
				checkImages(t, run(r, sine(in, 1000, amp, in))[out/10:out/10+out/2], in, out, amp)
			}
		})
	}
}

// As TestResamplerStreamingIsExact and TestResamplerFrameSizes, for the
// 22050 Hz pairs.
func TestResampler22050Streaming(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, pair := range espeakRatePairs {
		x := mix(noise(5, 8000, 2*pair.in), sine(pair.in, 440, 10000, 2*pair.in))
		whole, _ := NewResampler(pair.in, pair.out)
		want := whole.Resample(nil, x)
		if len(want) != 2*pair.out {
			t.Errorf("%v: %d samples out of 2 s, want %d", whole, len(want), 2*pair.out)
		}
		for _, split := range []string{"frames", "random", "single samples"} {
			r, _ := NewResampler(pair.in, pair.out)
			var got PCM16
			for rest := x; len(rest) > 0; {
				n := FrameSize(pair.in)
				switch split {
				case "random":
					n = rng.IntN(1500)
				case "single samples":
					n = 1
				}
				n = min(n, len(rest))
				got = r.Resample(got, rest[:n])
				rest = rest[n:]
			}
			if !slices.Equal(got, want) {
				t.Errorf("%v, %s: chunked output differs from whole", r, split)
			}
			r.Reset()
			if again := r.Resample(nil, x); !slices.Equal(again, want) {
				t.Errorf("%v: output after Reset differs from a new resampler", r)
			}
		}
		r, _ := NewResampler(pair.in, pair.out)
		for range 10 {
			if n := len(r.Resample(nil, make(PCM16, FrameSize(pair.in)))); n != FrameSize(pair.out) {
				t.Fatalf("%v: 20 ms in gave %d samples, want %d", r, n, FrameSize(pair.out))
			}
		}
	}
}

// Of the ratios beyond 6/6, only 22050 Hz with 8, 16 and 24 kHz.
func TestNewResampler22050Rates(t *testing.T) {
	for _, c := range [][2]int{{22050, 12000}, {48000, 22050}, {44100, 8000}, {11025, 8000}, {22050, 8001}, {7999, 22050}} {
		if _, err := NewResampler(c[0], c[1]); !errors.Is(err, ErrSampleRate) {
			t.Errorf("NewResampler(%d, %d) error = %v, want ErrSampleRate", c[0], c[1], err)
		}
	}
	for _, pair := range espeakRatePairs {
		r, err := NewResampler(pair.in, pair.out)
		if err != nil {
			t.Errorf("NewResampler(%d, %d): %v", pair.in, pair.out, err)
			continue
		}
		if got, want := r.String(), fmt.Sprintf("resample(%d->%d)", pair.in, pair.out); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

// BenchmarkResample22050: one 20 ms frame, for each pair with 22050 Hz.
func BenchmarkResample22050(b *testing.B) {
	for _, pair := range espeakRatePairs {
		b.Run(fmt.Sprintf("%vto%v", float64(pair.in)/1000, float64(pair.out)/1000), func(b *testing.B) {
			r, _ := NewResampler(pair.in, pair.out)
			in, dst := noise(1, 8000, FrameSize(pair.in)), make(PCM16, 0, FrameSize(pair.out))
			for b.Loop() {
				dst = r.Resample(dst[:0], in)
			}
		})
	}
}

// FuzzResample22050Chunks: as FuzzResampleChunks, for the 22050 Hz pairs.
func FuzzResample22050Chunks(f *testing.F) {
	f.Add(EncodePCM16LE(nil, sine(22050, 1000, 30000, 900)), []byte{1, 160, 7, 0, 200}, uint8(0))
	f.Add(EncodePCM16LE(nil, noise(1, 32767, 480)), []byte{3, 3, 3, 255}, uint8(5))
	f.Add([]byte{0xFF}, []byte{}, uint8(1))
	f.Fuzz(func(t *testing.T, data, cuts []byte, pair uint8) {
		p := espeakRatePairs[int(pair)%len(espeakRatePairs)]
		x := DecodePCM16LE(nil, data)
		whole, _ := NewResampler(p.in, p.out)
		want := whole.Resample(nil, x)
		r, _ := NewResampler(p.in, p.out)
		var got PCM16
		for _, c := range chunks(x, cuts) {
			got = r.Resample(got, c)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%v: chunked output differs", r)
		}
		if n := len(x) * p.out; len(want) != (n+p.in-1)/p.in {
			t.Fatalf("%v: %d samples out for %d in", r, len(want), len(x))
		}
	})
}

// checkImages: y, a 1 kHz tone upsampled from in to out, holds no image
// of it around the multiples of in above -60 dB.
func checkImages(t *testing.T, y PCM16, in, out int, amp float64) {
	t.Helper()
	for k := in; k < out; k += in {
		for _, img := range []float64{float64(k) - 1000, float64(k) + 1000} {
			if img >= float64(out)/2 {
				continue
			}
			if g := db(toneAmp(y, out, img), amp); g > -60 {
				t.Errorf("image at %v Hz: %.1f dB, want below -60 dB", img, g)
			}
		}
	}
}

// TestResamplerLongBlocks: a long block is taken 20 ms at a time: the
// same output as frame by frame, and no more memory than one frame's.
func TestResamplerLongBlocks(t *testing.T) {
	for _, pair := range ratePairs {
		whole, _ := NewResampler(pair[0], pair[1])
		framed, _ := NewResampler(pair[0], pair[1])
		before := cap(whole.work)
		x := mix(noise(3, 8000, pair[0]), sine(pair[0], 440, 8000, pair[0]))
		got := whole.Resample(nil, x)
		var want PCM16
		for off := 0; off < len(x); off += FrameSize(pair[0]) {
			want = framed.Resample(want, x[off:min(len(x), off+FrameSize(pair[0]))])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%v: a second at once differs from it frame by frame", whole)
		}
		if cap(whole.work) != before {
			t.Errorf("%v: work grew from %d to %d", whole, before, cap(whole.work))
		}
	}
}
