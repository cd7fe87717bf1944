package audio

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// Resampler converts a stream of PCM16 from one rate to another with a
// polyphase windowed-sinc FIR filter: conceptually, upsample by L
// (inserting zeros), low-pass, keep every M-th sample, where L/M is
// outRate/inRate in lowest terms (2/1 for 8 to 16 kHz, 1/3 for 24 to
// 8 kHz, 3/2 for 16 to 24 kHz, 160/441 for 22.05 to 8 kHz). The low-pass
// passes up to 42% of the lower rate within 0.01 dB and stops from 55% by
// at least 68 dB, with a delay of 0.8 to 2.25 ms.
//
// Down to 8 kHz — the agent's voice on its way to a telephone line, where
// μ-law's own noise floor is about 38 dB below a full-scale voice — the
// filter is the telephone's: flat to 3.4 kHz (42.5%) within 0.05 dB,
// stopping from 4.6 kHz (57.5%, whose aliases fold to 3.4 kHz and above)
// by at least 48 dB, with about 60% of the taps: the 24 to 8 kHz path was
// a quarter of a loaded server's CPU (BENCHMARKS.md).
//
// The Resampler keeps the filter's history across calls, so feeding a
// signal in pieces of any size gives exactly the samples that feeding it
// whole gives. It is not safe for concurrent use.
type Resampler struct {
	in, out int
	f       *polyphase
	work    []float64 // f.taps-1 samples of history, then the current input
	pos     int       // upsampled position of the next output, from the current input's start
}

// NewResampler returns a Resampler from inRate to outRate Hz. Rates must be
// positive and their ratio must reduce to L/M with L and M at most 6, as
// between any two of 8, 12, 16, 24, 32 and 48 kHz, or be 22050 Hz (the
// rate of espeak-ng) to or from 8, 16 or 24 kHz (160/441, 320/441, 160/147
// and their inverses); otherwise the error wraps ErrSampleRate. Equal
// rates give a Resampler that copies.
//
// From 24 to 22.05 kHz everything above the output's Nyquist frequency
// lies below 55% of it, so that filter stops from 50% instead: nothing
// folds back.
func NewResampler(inRate, outRate int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 || inRate > 1_000_000 || outRate > 1_000_000 {
		return nil, fmt.Errorf("%w: resample %d to %d Hz", ErrSampleRate, inRate, outRate)
	}
	g := gcd(inRate, outRate)
	l, m := outRate/g, inRate/g
	if (l > 6 || m > 6) && !espeakPair(inRate, outRate) {
		return nil, fmt.Errorf("%w: resample %d to %d Hz (ratio %d/%d)", ErrSampleRate, inRate, outRate, l, m)
	}
	r := &Resampler{in: inRate, out: outRate}
	if l != m {
		lo := min(inRate, outRate)
		spec := hifi
		switch {
		case inRate > outRate && float64(inRate)/2 < stopEdge*float64(lo):
			spec.stop = 0.5 // the whole band above lo/2 would otherwise be transition
		case outRate == telephoneRate && inRate > outRate:
			spec = telephone
		}
		r.f = filterFor(l, m, lo, inRate*l, spec)
		r.work = make([]float64, r.f.taps-1, r.f.taps-1+max(FrameSize(inRate), 64))
	}
	return r, nil
}

// Resample appends to dst the output for the input samples src and
// returns the extended slice. Each call yields the outputs that src
// completes: for 20 ms of input, exactly 20 ms of output. It allocates
// only when dst lacks the capacity. A longer src is taken 20 ms at a
// time, so the Resampler's own memory stays that of one frame.
func (r *Resampler) Resample(dst, src PCM16) PCM16 {
	if r.f == nil {
		return append(dst, src...)
	}
	block := cap(r.work) - len(r.work)
	for len(src) > block {
		dst = r.resample(dst, src[:block])
		src = src[block:]
	}
	return r.resample(dst, src)
}

// resample is Resample for a src that fits the work buffer.
func (r *Resampler) resample(dst, src PCM16) PCM16 {
	f := r.f
	hist := f.taps - 1
	w := r.work[:hist+len(src)]
	toFloat(w[hist:], src)
	end := f.l * len(src)
	n := 0
	if r.pos < end {
		n = (end - r.pos + f.m - 1) / f.m
	}
	dst = slices.Grow(dst, n)
	f.filter(dst[len(dst):len(dst)+n], w, r.pos)
	r.pos += n*f.m - end
	copy(w, w[len(src):])
	r.work = w[:hist]
	return dst[:len(dst)+n]
}

// Reset forgets the history, as if the Resampler were new: for the start
// of an unrelated stream (the next utterance).
func (r *Resampler) Reset() {
	clear(r.work)
	r.pos = 0
}

// String reports "resample(in->out)".
func (r *Resampler) String() string {
	return fmt.Sprintf("resample(%d->%d)", r.in, r.out)
}

// filter sets out[j] to the output at upsampled position pos+j*m of the
// window w, whose first sample is at upsampled position 0.
//
// Outputs l apart share a phase, so it computes them three at a time, each
// window m samples after the last (consecutive outputs when l is 1): the
// three share the loads of the coefficients, and their sums, six at a
// time, keep the floating-point adders busy where one output's four would
// wait on each other. Each output is still the sum dot gives, bit for bit,
// however the outputs fall into threes.
//
// A folded filter goes to filterFolded instead.
func (f *polyphase) filter(out PCM16, w []float64, pos int) {
	if f.folded {
		f.filterFolded(out, w, pos)
		return
	}
	l, m, taps := f.l, f.m, f.taps
	i, p := pos/l, pos%l // output j's window starts at w[i], with phase p
	j := 0
	for ; j+3*l <= len(out); j += 3 * l {
		for jj := j; jj < j+l; jj++ {
			c := f.coef[p*taps : (p+1)*taps]
			x, y, z := w[i:i+taps], w[i+m:i+m+taps], w[i+2*m:i+2*m+taps]
			x01, y01, z01 := dot3(c, x, y, z)
			x23, y23, z23 := dot3(c[2:], x[2:], y[2:], z[2:])
			out[jj], out[jj+l], out[jj+2*l] = toInt16(x01+x23), toInt16(y01+y23), toInt16(z01+z23)
			i, p = i+f.di, p+f.dp
			if p >= l {
				i, p = i+1, p-l
			}
		}
		i += 2 * m // from output j+l to j+3l
	}
	for ; j < len(out); j++ {
		out[j] = toInt16(dot(f.coef[p*taps:(p+1)*taps], w[i:i+taps]))
		i, p = i+f.di, p+f.dp
		if p >= l {
			i, p = i+1, p-l
		}
	}
}

// filterFolded is filter for a single phase (l is 1, pure decimation such
// as 24 or 16 to 8 kHz) whose taps read the same both ways, as a
// linear-phase filter's do: each output is the sum over the first half of
// the taps of c[k]*(x[k] + x[taps-1-k]), half the multiplications and
// loads of coefficients of dot, three outputs at a time. Multiplying the
// pairs' sums instead of each sample rounds differently from dot, by
// parts in 10^16 of the output, which moves an output by one unit only
// when it falls that close to a half (none did in 29 million samples of
// noise and tones). An output's sums do not depend on which three it is
// computed with, so streaming stays exact.
func (f *polyphase) filterFolded(out PCM16, w []float64, pos int) {
	m, taps := f.m, f.taps
	h := f.coef[:taps/2]
	i, j := pos, 0 // output j's window starts at w[i]
	for ; j+3 <= len(out); j, i = j+3, i+3*m {
		x, y, z := fold3(h, w[i:i+taps], w[i+m:i+m+taps], w[i+2*m:i+2*m+taps])
		out[j], out[j+1], out[j+2] = toInt16(x), toInt16(y), toInt16(z)
	}
	for ; j < len(out); j, i = j+1, i+m {
		out[j] = toInt16(fold(h, w[i:i+taps]))
	}
}

// fold is the inner product of a symmetric filter whose first half is h
// (of even length) with the window x of twice its length, in two sums:
// the pairs k even and the pairs k odd, each in increasing k.
func fold(h, x []float64) float64 {
	n := len(h)
	lo, hi := x[:n], x[n:2*n] // hi[j] pairs with lo[n-1-j]
	var a0, a1 float64
	for k, j := 0, n-1; k < n-1; k, j = k+2, j-2 {
		a0 += h[k] * (lo[k] + hi[j])
		a1 += h[k+1] * (lo[k+1] + hi[j-1])
	}
	return a0 + a1
}

// fold3 is fold for three windows at once, with the same sums for each.
func fold3(h, x, y, z []float64) (float64, float64, float64) {
	n := len(h)
	xl, yl, zl := x[:n], y[:n], z[:n]
	xh, yh, zh := x[n:2*n], y[n:2*n], z[n:2*n]
	var x0, x1, y0, y1, z0, z1 float64
	for k, j := 0, n-1; k < n-1; k, j = k+2, j-2 {
		x0 += h[k] * (xl[k] + xh[j])
		y0 += h[k] * (yl[k] + yh[j])
		z0 += h[k] * (zl[k] + zh[j])
		x1 += h[k+1] * (xl[k+1] + xh[j-1])
		y1 += h[k+1] * (yl[k+1] + yh[j-1])
		z1 += h[k+1] * (zl[k+1] + zh[j-1])
	}
	return x0 + x1, y0 + y1, z0 + z1
}

// dot is the filter's inner product, in four independent sums of every
// fourth product, added as (s0 + s1) + (s2 + s3); taps are a multiple of
// four.
func dot(c, x []float64) float64 {
	x = x[:len(c)]
	var a0, a1, a2, a3 float64
	for k := 0; k < len(c)-3; k += 4 {
		a0 += c[k] * x[k]
		a1 += c[k+1] * x[k+1]
		a2 += c[k+2] * x[k+2]
		a3 += c[k+3] * x[k+3]
	}
	return (a0 + a1) + (a2 + a3)
}

// dot3 is half of dot for three windows at once: s0 + s1 of each, the sums
// of the products k and k+1 for k a multiple of four (s2 + s3 when the
// slices start two taps in). Six sums are as many as fit in the registers
// with the products that feed them.
func dot3(c, x, y, z []float64) (float64, float64, float64) {
	x, y, z = x[:len(c)], y[:len(c)], z[:len(c)]
	var x0, x1, y0, y1, z0, z1 float64
	for k := 0; k < len(c)-1; k += 4 {
		x0 += c[k] * x[k]
		y0 += c[k] * y[k]
		z0 += c[k] * z[k]
		x1 += c[k+1] * x[k+1]
		y1 += c[k+1] * y[k+1]
		z1 += c[k+1] * z[k+1]
	}
	return x0 + x1, y0 + y1, z0 + z1
}

// toFloat sets x[i] to float64(s[i]); x and s have the same length.
func toFloat(x []float64, s PCM16) {
	x = x[:len(s)]
	i := 0
	for ; i < len(s)-3; i += 4 { // four at a time: fewer instructions per sample
		x[i] = float64(s[i])
		x[i+1] = float64(s[i+1])
		x[i+2] = float64(s[i+2])
		x[i+3] = float64(s[i+3])
	}
	for ; i < len(s); i++ {
		x[i] = float64(s[i])
	}
}

func toInt16(v float64) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	}
	return int16(math.Floor(v + 0.5))
}

// espeakPair reports whether the rates are 22050 Hz and one of 8, 16 and
// 24 kHz, the ratios beyond 6/6 the Resampler supports.
func espeakPair(a, b int) bool {
	if a != 22050 {
		a, b = b, a
	}
	return a == 22050 && (b == 8000 || b == 16000 || b == 24000)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// polyphase is a designed filter, read-only and shared by every
// Resampler with the same L, M and rates.
type polyphase struct {
	l, m, taps int
	// An output's successor is di input samples and dp phases on (carrying
	// a phase past l into the next sample): m = di*l + dp.
	di, dp int
	spec   spec
	// folded: a single phase whose taps read the same both ways (exactly,
	// as design makes them for l = 1), for filterFolded.
	folded bool
	// coef holds phase p's taps at [p*taps, (p+1)*taps), in reverse, so
	// that an output is a dot product with the input window that ends at
	// its newest sample.
	coef []float64
}

// spec is what a filter promises: flat to pass, stopping from stop (as
// fractions of the lower rate), by db.
type spec struct {
	pass, stop, db float64
}

type filterKey struct {
	l, m, lo, fs int
	spec         spec
}

var filters sync.Map // filterKey -> *polyphase

// Filter design: a Kaiser-windowed sinc at the upsampled rate fs, with the
// passband edge at passEdge and the stopband edge at stopEdge of the lower
// rate lo (0.5 for 24 to 22.05 kHz), and stopDB of stopband attenuation.
const (
	passEdge = 0.42
	stopEdge = 0.55
	stopDB   = 70.0
)

// The filters: hifi between any rates, telephone down to 8 kHz.
var (
	hifi          = spec{pass: passEdge, stop: stopEdge, db: stopDB}
	telephone     = spec{pass: 0.425, stop: 0.575, db: 50}
	telephoneRate = 8000
)

func filterFor(l, m, lo, fs int, s spec) *polyphase {
	key := filterKey{l, m, lo, fs, s}
	if f, ok := filters.Load(key); ok {
		return f.(*polyphase)
	}
	f, _ := filters.LoadOrStore(key, design(l, m, float64(lo), float64(fs), s))
	return f.(*polyphase)
}

func design(l, m int, lo, fs float64, s spec) *polyphase {
	passEdge, stop, stopDB := s.pass, s.stop, s.db
	width := (stop - passEdge) * lo / fs // transition, in cycles per sample
	n := int(math.Ceil((stopDB-7.95)/(14.36*width))) + 1
	taps := (n + l - 1) / l
	taps = (taps + 3) &^ 3
	n = taps * l

	fc := (passEdge + stop) / 2 * lo / fs // cutoff, in cycles per sample
	beta := 0.1102 * (stopDB - 8.7)
	h := make([]float64, n)
	center := float64(n-1) / 2
	var sum float64
	for i := range h {
		t := float64(i) - center
		x := 2 * fc * t
		sinc := 1.0
		if x != 0 {
			sinc = math.Sin(math.Pi*x) / (math.Pi * x)
		}
		r := 2 * t / float64(n-1)
		h[i] = 2 * fc * sinc * besselI0(beta*math.Sqrt(max(0, 1-r*r))) / besselI0(beta)
		sum += h[i]
	}
	f := &polyphase{l: l, m: m, taps: taps, di: m / l, dp: m % l, spec: s, coef: make([]float64, n)}
	for p := range l {
		for t := range taps {
			// Gain l makes up for the zeros inserted when upsampling.
			f.coef[p*taps+taps-1-t] = h[p+t*l] * float64(l) / sum
		}
	}
	f.folded = l == 1
	for k := range f.coef {
		f.folded = f.folded && f.coef[k] == f.coef[len(f.coef)-1-k]
	}
	return f
}

// besselI0 is the modified Bessel function of the first kind, order 0, by
// its power series.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; term > 1e-12*sum; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
	}
	return sum
}

// NewResampleWriter returns a Writer of PCM16 at inRate that resamples to
// w's rate and writes to w; when the rates are equal it returns w itself.
// The error wraps ErrSampleRate for a pair NewResampler does not support.
func NewResampleWriter(w Writer[PCM16], inRate int) (Writer[PCM16], error) {
	if inRate == w.SampleRate() {
		return w, nil
	}
	r, err := NewResampler(inRate, w.SampleRate())
	if err != nil {
		return nil, err
	}
	return &resampleWriter{r: r, w: w}, nil
}

type resampleWriter struct {
	r   *Resampler
	w   Writer[PCM16]
	buf PCM16
}

func (rw *resampleWriter) WriteSample(s PCM16) error {
	rw.buf = rw.r.Resample(rw.buf[:0], s)
	if len(rw.buf) == 0 {
		return nil
	}
	return rw.w.WriteSample(rw.buf)
}

func (rw *resampleWriter) SampleRate() int { return rw.r.in }

func (rw *resampleWriter) String() string { return fmt.Sprintf("%s -> %s", rw.r, rw.w) }

// Reset makes the stages of a chain that keep history (resamplers) forget
// it, as at the start of an unrelated stream: the agent's next sentence.
// Stages without history are passed through; the chain's end is left as
// it is.
func Reset[T any](w Writer[T]) {
	switch s := any(w).(type) {
	case *resampleWriter:
		s.r.Reset()
		Reset(s.w)
	case *g711Encoder[Ulaw]:
		Reset(s.w)
	case *g711Encoder[Alaw]:
		Reset(s.w)
	case *g711Decoder[Ulaw]:
		Reset(s.w)
	case *g711Decoder[Alaw]:
		Reset(s.w)
	case *pcm16leDecoder:
		s.haveOdd = false
		Reset(s.w)
	}
}
