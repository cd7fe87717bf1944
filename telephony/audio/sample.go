package audio

import (
	"fmt"
	"slices"
	"time"
)

// FrameDuration is the length of one audio frame: 20 ms, the frame of
// Twilio Media Streams.
const FrameDuration = 20 * time.Millisecond

// FrameSize returns the number of samples in one 20 ms frame at rate Hz:
// 160 at 8 kHz, 320 at 16 kHz, 480 at 24 kHz. A G.711 frame has as many
// bytes as samples.
func FrameSize(rate int) int {
	return int(int64(rate) * int64(FrameDuration) / int64(time.Second))
}

// PCM16 is mono signed 16-bit linear PCM, one int16 per sample. Its rate
// travels beside it, as the SampleRate of the Writer it is written to.
type PCM16 []int16

// Ulaw is G.711 mu-law audio, one byte per sample: Twilio's audio/x-mulaw.
type Ulaw []byte

// Alaw is G.711 A-law audio, one byte per sample.
type Alaw []byte

// Writer is one stage of an audio chain: a sink, or a codec or resampler
// that converts what it is given and writes the result to the next stage.
//
// WriteSample must neither keep nor modify the slice it is given: the
// caller may reuse it as soon as WriteSample returns. A stage that passes
// its own buffer on to the next stage relies on the same rule. An error
// from a later stage is returned unchanged.
//
// A Writer is not safe for concurrent use; a chain is driven by the one
// goroutine that owns it.
type Writer[T any] interface {
	// WriteSample consumes one block of samples, of any length.
	WriteSample(sample T) error
	// SampleRate is the rate, in Hz, of the samples the Writer expects.
	SampleRate() int
	// String names the stage and those after it, in the order the audio
	// flows, for logs: "resample(24000->8000) -> ulaw-encode(8000) -> playout(8000)".
	String() string
}

// NewFuncWriter returns a Writer that calls fn with each block: the end of
// a chain, such as a transport, a recorder or a test. String reports
// "name(rate)". fn must follow the Writer rules: not keep the slice.
func NewFuncWriter[T any](name string, rate int, fn func(T) error) Writer[T] {
	return &funcWriter[T]{name: name, rate: rate, fn: fn}
}

type funcWriter[T any] struct {
	name string
	rate int
	fn   func(T) error
}

func (w *funcWriter[T]) WriteSample(s T) error { return w.fn(s) }
func (w *funcWriter[T]) SampleRate() int       { return w.rate }
func (w *funcWriter[T]) String() string        { return fmt.Sprintf("%s(%d)", w.name, w.rate) }

// DecodePCM16LE appends to dst the samples of src, 16-bit little-endian
// PCM (the bytes of OpenAI's "pcm" format and of WAV files), and returns
// the extended slice. A trailing odd byte is ignored; NewPCM16LEDecoder
// keeps it for the next write instead.
func DecodePCM16LE(dst PCM16, src []byte) PCM16 {
	n := len(src) / 2
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	for i := range out {
		out[i] = int16(uint16(src[2*i]) | uint16(src[2*i+1])<<8)
	}
	return dst[:len(dst)+n]
}

// EncodePCM16LE appends src to dst as 16-bit little-endian bytes and
// returns the extended slice.
func EncodePCM16LE(dst []byte, src PCM16) []byte {
	dst = slices.Grow(dst, 2*len(src))
	for _, s := range src {
		dst = append(dst, byte(s), byte(uint16(s)>>8))
	}
	return dst
}

// NewPCM16LEDecoder returns a Writer of 16-bit little-endian bytes, as
// they arrive from a text-to-speech stream, that writes them to w as
// PCM16. Chunks may split a sample: an odd byte is kept until the next
// write. Its rate is w's.
func NewPCM16LEDecoder(w Writer[PCM16]) Writer[[]byte] {
	return &pcm16leDecoder{w: w}
}

type pcm16leDecoder struct {
	w       Writer[PCM16]
	buf     PCM16
	odd     byte
	haveOdd bool
}

func (d *pcm16leDecoder) WriteSample(b []byte) error {
	d.buf = d.buf[:0]
	if d.haveOdd && len(b) > 0 {
		d.buf = append(d.buf, int16(uint16(d.odd)|uint16(b[0])<<8))
		b = b[1:]
		d.haveOdd = false
	}
	d.buf = DecodePCM16LE(d.buf, b)
	if len(b)%2 == 1 {
		d.odd, d.haveOdd = b[len(b)-1], true
	}
	if len(d.buf) == 0 {
		return nil
	}
	return d.w.WriteSample(d.buf)
}

func (d *pcm16leDecoder) SampleRate() int { return d.w.SampleRate() }
func (d *pcm16leDecoder) String() string {
	return fmt.Sprintf("pcm16le(%d) -> %s", d.w.SampleRate(), d.w)
}
