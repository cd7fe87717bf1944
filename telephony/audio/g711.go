package audio

import (
	"fmt"
	"math/bits"
	"slices"
)

// G.711 (ITU-T, 11/1988) companding, with the arithmetic of the ITU-T
// G.191 reference software: 16-bit samples are read as the left-justified
// 14-bit (mu-law) or 13-bit (A-law) linear values of the standard, and
// negative values are folded by one's complement, so -1 is encoded as the
// smallest negative code rather than a step away from zero.

const (
	// UlawSilence is the mu-law code for zero, for padding and comfort
	// silence. (0x7F, "negative zero", also decodes to zero.)
	UlawSilence byte = 0xFF
	// AlawSilence is the A-law code nearest zero (+8), for padding.
	AlawSilence byte = 0xD5
)

// Decoding is a table lookup; the tables are computed once, by the G.191
// expansion formulas.
var (
	ulawTable = func() (t [256]int16) {
		for i := range t {
			t[i] = ulawExpand(byte(i))
		}
		return t
	}()
	alawTable = func() (t [256]int16) {
		for i := range t {
			t[i] = alawExpand(byte(i))
		}
		return t
	}()
)

// ulawExpand is G.191 ulaw_expand for one code.
func ulawExpand(c byte) int16 {
	m := ^c
	exp := int32(m>>4) & 7
	mant := int32(m & 0x0F)
	step := int32(4) << (exp + 1)
	v := int32(0x80)<<exp + step*mant + step/2 - 4*33
	if c < 0x80 {
		v = -v
	}
	return int16(v)
}

// alawExpand is G.191 alaw_expand for one code.
func alawExpand(c byte) int16 {
	ix := int32(c^0x55) & 0x7F
	exp := ix >> 4
	mant := ix & 0x0F
	if exp > 0 {
		mant += 16
	}
	mant = mant<<4 + 8
	if exp > 1 {
		mant <<= exp - 1
	}
	if c < 0x80 {
		mant = -mant
	}
	return int16(mant)
}

// ulawCompress is G.191 ulaw_compress for one sample.
func ulawCompress(x int16) byte {
	var abs int32
	if x < 0 {
		abs = int32(^x) >> 2
	} else {
		abs = int32(x) >> 2
	}
	abs += 33 // the bias, in 14-bit units
	if abs > 0x1FFF {
		abs = 0x1FFF
	}
	seg := int32(bits.Len32(uint32(abs>>6))) + 1 // 1..8
	c := byte((8-seg)<<4 | (0x0F - (abs>>seg)&0x0F))
	if x >= 0 {
		c |= 0x80
	}
	return c
}

// alawCompress is G.191 alaw_compress for one sample.
func alawCompress(x int16) byte {
	var ix int32
	if x < 0 {
		ix = int32(^x) >> 4
	} else {
		ix = int32(x) >> 4
	}
	if ix > 15 { // segments 1..7; segment 0 is linear
		exp := int32(bits.Len32(uint32(ix))) - 4
		ix = ix>>(exp-1) - 16 + exp<<4
	}
	if x >= 0 {
		ix |= 0x80
	}
	return byte(ix) ^ 0x55
}

// DecodeUlaw appends the linear samples of the mu-law codes in src to dst
// and returns the extended slice. It allocates only when dst lacks the
// capacity.
func DecodeUlaw(dst PCM16, src Ulaw) PCM16 {
	dst = slices.Grow(dst, len(src))
	for _, c := range src {
		dst = append(dst, ulawTable[c])
	}
	return dst
}

// EncodeUlaw appends the mu-law codes of the samples in src to dst and
// returns the extended slice. Zero is encoded as 0xFF. It allocates only
// when dst lacks the capacity.
func EncodeUlaw(dst Ulaw, src PCM16) Ulaw {
	dst = slices.Grow(dst, len(src))
	for _, s := range src {
		dst = append(dst, ulawCompress(s))
	}
	return dst
}

// DecodeAlaw appends the linear samples of the A-law codes in src to dst
// and returns the extended slice.
func DecodeAlaw(dst PCM16, src Alaw) PCM16 {
	dst = slices.Grow(dst, len(src))
	for _, c := range src {
		dst = append(dst, alawTable[c])
	}
	return dst
}

// EncodeAlaw appends the A-law codes of the samples in src to dst and
// returns the extended slice.
func EncodeAlaw(dst Alaw, src PCM16) Alaw {
	dst = slices.Grow(dst, len(src))
	for _, s := range src {
		dst = append(dst, alawCompress(s))
	}
	return dst
}

// NewUlawEncoder returns a Writer of PCM16 that writes mu-law to w, at w's
// rate.
func NewUlawEncoder(w Writer[Ulaw]) Writer[PCM16] {
	return &g711Encoder[Ulaw]{name: "ulaw-encode", w: w, enc: EncodeUlaw}
}

// NewUlawDecoder returns a Writer of mu-law that writes PCM16 to w, at w's
// rate.
func NewUlawDecoder(w Writer[PCM16]) Writer[Ulaw] {
	return &g711Decoder[Ulaw]{name: "ulaw-decode", w: w, dec: DecodeUlaw}
}

// NewAlawEncoder returns a Writer of PCM16 that writes A-law to w, at w's
// rate.
func NewAlawEncoder(w Writer[Alaw]) Writer[PCM16] {
	return &g711Encoder[Alaw]{name: "alaw-encode", w: w, enc: EncodeAlaw}
}

// NewAlawDecoder returns a Writer of A-law that writes PCM16 to w, at w's
// rate.
func NewAlawDecoder(w Writer[PCM16]) Writer[Alaw] {
	return &g711Decoder[Alaw]{name: "alaw-decode", w: w, dec: DecodeAlaw}
}

// g711Encoder and g711Decoder keep one buffer, reused for every block.
type g711Encoder[S ~[]byte] struct {
	name string
	w    Writer[S]
	enc  func(S, PCM16) S
	buf  S
}

func (e *g711Encoder[S]) WriteSample(s PCM16) error {
	e.buf = e.enc(e.buf[:0], s)
	return e.w.WriteSample(e.buf)
}

func (e *g711Encoder[S]) SampleRate() int { return e.w.SampleRate() }
func (e *g711Encoder[S]) String() string {
	return fmt.Sprintf("%s(%d) -> %s", e.name, e.w.SampleRate(), e.w)
}

type g711Decoder[S ~[]byte] struct {
	name string
	w    Writer[PCM16]
	dec  func(PCM16, S) PCM16
	buf  PCM16
}

func (d *g711Decoder[S]) WriteSample(s S) error {
	d.buf = d.dec(d.buf[:0], s)
	return d.w.WriteSample(d.buf)
}

func (d *g711Decoder[S]) SampleRate() int { return d.w.SampleRate() }
func (d *g711Decoder[S]) String() string {
	return fmt.Sprintf("%s(%d) -> %s", d.name, d.w.SampleRate(), d.w)
}
