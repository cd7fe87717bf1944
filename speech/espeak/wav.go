package espeak

import (
	"encoding/binary"
	"fmt"
	"io"
)

// header is what a WAV header says about the audio after it.
type header struct {
	format, channels, bits int
	rate                   int
	// size is the data chunk's length in bytes, or -1 when the writer did
	// not know it (a stream: espeak-ng writes 0x7ffff000).
	size int64
}

// maxHeader bounds the bytes readHeader reads before the samples.
const maxHeader = 4096

// readHeader reads a WAV header from r up to the start of the samples,
// reading nothing beyond. The RIFF size is not checked, as a stream's is
// a placeholder; chunks other than fmt are skipped. The error wraps
// ErrNotWAV.
func readHeader(r io.Reader) (header, error) {
	h := header{size: -1}
	le := binary.LittleEndian
	var b [12]byte
	if _, err := io.ReadFull(r, b[:12]); err != nil {
		return h, fmt.Errorf("%w: %v", ErrNotWAV, err)
	}
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return h, fmt.Errorf("%w: starts with %q", ErrNotWAV, b[:12])
	}
	read, haveFmt := 12, false
	for {
		if _, err := io.ReadFull(r, b[:8]); err != nil {
			return h, fmt.Errorf("%w: %v", ErrNotWAV, err)
		}
		read += 8
		id, size := string(b[0:4]), int64(le.Uint32(b[4:8]))
		if id == "data" {
			if !haveFmt {
				return h, fmt.Errorf("%w: data before fmt", ErrNotWAV)
			}
			if size > 0 && size < 0x7fff0000 {
				h.size = size
			}
			return h, nil
		}
		pad := size + size%2
		if int64(read)+pad > maxHeader {
			return h, fmt.Errorf("%w: chunk %q of %d bytes before the data", ErrNotWAV, id, size)
		}
		chunk := make([]byte, pad)
		if _, err := io.ReadFull(r, chunk); err != nil {
			return h, fmt.Errorf("%w: %v", ErrNotWAV, err)
		}
		read += int(pad)
		if id == "fmt " {
			if size < 16 {
				return h, fmt.Errorf("%w: fmt chunk of %d bytes", ErrNotWAV, size)
			}
			h.format, h.channels = int(le.Uint16(chunk[0:2])), int(le.Uint16(chunk[2:4]))
			h.rate, h.bits = int(le.Uint32(chunk[4:8])), int(le.Uint16(chunk[14:16]))
			haveFmt = true
		}
	}
}
