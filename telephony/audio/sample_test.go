package audio

import (
	"errors"
	"slices"
	"testing"
)

func TestFrameSize(t *testing.T) {
	for rate, want := range map[int]int{8000: 160, 16000: 320, 24000: 480, 48000: 960, 0: 0} {
		if got := FrameSize(rate); got != want {
			t.Errorf("FrameSize(%d) = %d, want %d", rate, got, want)
		}
	}
}

func TestPCM16LE(t *testing.T) {
	pcm := PCM16{0, 1, -1, 32767, -32768, 0x1234}
	b := EncodePCM16LE([]byte("x"), pcm)
	if want := "x\x00\x00\x01\x00\xff\xff\xff\x7f\x00\x80\x34\x12"; string(b) != want {
		t.Errorf("EncodePCM16LE = %q, want %q", b, want)
	}
	if got := DecodePCM16LE(PCM16{9}, b[1:]); !slices.Equal(got, append(PCM16{9}, pcm...)) {
		t.Errorf("DecodePCM16LE = %v", got)
	}
	if got := DecodePCM16LE(nil, b[1:4]); !slices.Equal(got, PCM16{0}) {
		t.Errorf("odd byte count: %v, want [0]", got)
	}
	if got := DecodePCM16LE(nil, nil); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
}

// collect is a sink that keeps copies of what it is given.
type collect[T any] struct {
	rate   int
	blocks []T
	clone  func(T) T
}

func (c *collect[T]) WriteSample(s T) error {
	c.blocks = append(c.blocks, c.clone(s))
	return nil
}
func (c *collect[T]) SampleRate() int { return c.rate }
func (c *collect[T]) String() string  { return "collect" }

func pcmSink(rate int) *collect[PCM16] {
	return &collect[PCM16]{rate: rate, clone: slices.Clone[PCM16]}
}

func TestPCM16LEDecoderKeepsOddBytes(t *testing.T) {
	pcm := noise(1, 30000, 100)
	b := EncodePCM16LE(nil, pcm)
	for _, cut := range [][]int{{1, 2, 3, 50, 51, 199}, {7, 7, 7}, {0, 1, 1, 200}} {
		sink := pcmSink(24000)
		d := NewPCM16LEDecoder(sink)
		prev := 0
		for _, c := range append(cut, len(b)) {
			if err := d.WriteSample(b[prev:c]); err != nil {
				t.Fatal(err)
			}
			prev = c
		}
		if got := slices.Concat(sink.blocks...); !slices.Equal(got, pcm) {
			t.Errorf("cuts %v: %d samples, differ from the %d written", cut, len(got), len(pcm))
		}
	}
}

// The two chains of a call, built back to front, print themselves in the
// order the audio flows, and carry 20 ms through.
func TestChains(t *testing.T) {
	stt := pcmSink(16000)
	in, err := NewResampleWriter(stt, 8000)
	if err != nil {
		t.Fatal(err)
	}
	inbound := NewUlawDecoder(in)
	if got, want := inbound.String(), "ulaw-decode(8000) -> resample(8000->16000) -> collect"; got != want {
		t.Errorf("inbound chain %q, want %q", got, want)
	}
	if inbound.SampleRate() != 8000 {
		t.Errorf("inbound rate %d", inbound.SampleRate())
	}
	for range 5 {
		if err := inbound.WriteSample(EncodeUlaw(nil, sine(8000, 1000, 8000, 160))); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(slices.Concat(stt.blocks...)); n != 5*320 {
		t.Errorf("inbound: %d samples at 16 kHz, want %d", n, 5*320)
	}

	var sent []Ulaw
	playout := NewFuncWriter("playout", 8000, func(b Ulaw) error {
		sent = append(sent, slices.Clone(b))
		return nil
	})
	out, err := NewResampleWriter(NewUlawEncoder(playout), 24000)
	if err != nil {
		t.Fatal(err)
	}
	outbound := NewPCM16LEDecoder(out)
	if got, want := outbound.String(), "pcm16le(24000) -> resample(24000->8000) -> ulaw-encode(8000) -> playout(8000)"; got != want {
		t.Errorf("outbound chain %q, want %q", got, want)
	}
	tts := EncodePCM16LE(nil, sine(24000, 1000, 8000, 2400))
	for c := range slices.Chunk(tts, 333) { // odd chunks, as a TTS stream gives them
		if err := outbound.WriteSample(c); err != nil {
			t.Fatal(err)
		}
	}
	y := DecodeUlaw(nil, slices.Concat(sent...))
	if len(y) != 800 {
		t.Fatalf("outbound: %d samples at 8 kHz, want 800", len(y))
	}
	if g := db(toneAmp(y[160:], 8000, 1000), 8000); g < -0.5 || g > 0.5 {
		t.Errorf("outbound 1 kHz gain %.2f dB", g)
	}

	// Equal rates add no stage; A-law and unsupported rates.
	if w, _ := NewResampleWriter(stt, 16000); w != Writer[PCM16](stt) {
		t.Errorf("equal rates: %v", w)
	}
	if _, err := NewResampleWriter(stt, 44100); !errors.Is(err, ErrSampleRate) {
		t.Errorf("44.1 kHz: %v", err)
	}
	alaw := NewAlawDecoder(NewAlawEncoder(NewFuncWriter("x", 8000, func(Alaw) error { return nil })))
	if got, want := alaw.String(), "alaw-decode(8000) -> alaw-encode(8000) -> x(8000)"; got != want {
		t.Errorf("A-law chain %q, want %q", got, want)
	}
	if err := alaw.WriteSample(Alaw{0xD5}); err != nil {
		t.Error(err)
	}
}

func TestChainErrors(t *testing.T) {
	boom := errors.New("transport closed")
	sink := NewFuncWriter("twilio", 8000, func(Ulaw) error { return boom })
	w, _ := NewResampleWriter(NewUlawEncoder(sink), 24000)
	if err := w.WriteSample(make(PCM16, 480)); err != boom {
		t.Errorf("error %v, want the sink's error unchanged", err)
	}
	// One sample at 24 kHz completes an output sample, the next two do not
	// and write nothing.
	for i, want := range []error{boom, nil, nil, boom} {
		if err := w.WriteSample(PCM16{0}); err != want {
			t.Errorf("sample %d: error %v, want %v", i, err, want)
		}
	}
	if err := NewPCM16LEDecoder(pcmSink(8000)).WriteSample([]byte{1}); err != nil {
		t.Errorf("odd byte: %v", err)
	}
}

// Reset makes a chain's resampler forget the last stream: the same input
// after it gives the same output as on a new chain.
func TestReset(t *testing.T) {
	sink := pcmSink(8000)
	w, _ := NewResampleWriter(NewUlawEncoder(NewFuncWriter("x", 8000, func(Ulaw) error { return nil })), 24000)
	chain, _ := NewResampleWriter(sink, 24000)
	fresh := pcmSink(8000)
	other, _ := NewResampleWriter(fresh, 24000)
	a, b := sine(24000, 1000, 8000, 481), sine(24000, 300, 8000, 480)
	for _, tt := range []struct {
		name  string
		reset bool
		same  bool
	}{{"without Reset", false, false}, {"with Reset", true, true}} {
		sink.blocks, fresh.blocks = nil, nil
		_ = chain.WriteSample(a)
		sink.blocks = nil
		if tt.reset {
			Reset(chain)
		}
		_ = chain.WriteSample(b)
		Reset(other)
		_ = other.WriteSample(b)
		if got := slices.Equal(slices.Concat(sink.blocks...), slices.Concat(fresh.blocks...)); got != tt.same {
			t.Errorf("%s: output equal to a new chain's: %v, want %v", tt.name, got, tt.same)
		}
	}
	Reset(w) // through the codec stage to the sink: no panic
}
