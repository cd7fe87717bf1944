package deepgram

import (
	"math/bits"
	"slices"
)

// G.711 μ-law, for 8 kHz streams. A speech provider may not import the
// telephony packages (ARCHITECTURE.md), so the encoder is here: the G.191
// reference arithmetic of telephony/audio (ulawCompress), worked out once
// into a table. The tests hold it to telephony/audio's encoder for every
// 16-bit sample.

// ulawTable maps a sample's top 14 bits (uint16(v) >> 2) to its μ-law
// code: G.191 reads a 16-bit sample as the left-justified 14-bit value of
// the standard, so the two bits below never change the code.
var ulawTable = func() (t [1 << 14]byte) {
	for i := range t {
		t[i] = ulawCompress(int16(uint16(i) << 2))
	}
	return t
}()

// ulawCompress is G.191 ulaw_compress for one sample: negative values
// folded by one's complement, the bias of 33, eight segments of sixteen
// steps, the code inverted.
func ulawCompress(x int16) byte {
	var abs int32
	if x < 0 {
		abs = int32(^x) >> 2
	} else {
		abs = int32(x) >> 2
	}
	abs += 33
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

// appendUlaw appends the μ-law codes of pcm to dst.
func appendUlaw(dst []byte, pcm []int16) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(pcm))[:n+len(pcm)]
	out := dst[n:]
	for i, v := range pcm {
		out[i] = ulawTable[uint16(v)>>2]
	}
	return dst
}

// appendLinear16 appends pcm to dst as 16-bit little-endian samples.
func appendLinear16(dst []byte, pcm []int16) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(pcm))[:n+2*len(pcm)]
	out := dst[n:]
	for i, v := range pcm {
		out[2*i] = byte(v)
		out[2*i+1] = byte(uint16(v) >> 8)
	}
	return dst
}
