package openai

import "encoding/binary"

// wavHeaderSize is the size of the canonical header appendWAV writes.
const wavHeaderSize = 44

// appendWAV appends to dst a WAV file of pcm: 16-bit mono PCM at rate Hz,
// with the canonical 44-byte header (RIFF, fmt, data).
func appendWAV(dst []byte, pcm []int16, rate int) []byte {
	le := binary.LittleEndian
	data := uint32(2 * len(pcm))
	dst = append(dst, "RIFF"...)
	dst = le.AppendUint32(dst, 36+data)
	dst = append(dst, "WAVEfmt "...)
	dst = le.AppendUint32(dst, 16)             // fmt chunk size
	dst = le.AppendUint16(dst, 1)              // PCM
	dst = le.AppendUint16(dst, 1)              // mono
	dst = le.AppendUint32(dst, uint32(rate))   // sample rate
	dst = le.AppendUint32(dst, uint32(2*rate)) // bytes per second
	dst = le.AppendUint16(dst, 2)              // bytes per frame
	dst = le.AppendUint16(dst, 16)             // bits per sample
	dst = append(dst, "data"...)
	dst = le.AppendUint32(dst, data)
	for _, s := range pcm {
		dst = le.AppendUint16(dst, uint16(s))
	}
	return dst
}
