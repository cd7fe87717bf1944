package speech

import (
	"encoding/binary"
	"io"
)

// Samples reads 16-bit little-endian mono PCM from a byte stream as
// samples, keeping a byte of a sample split between reads for the next:
// the Read of every provider whose audio arrives as bytes. It is not safe
// for concurrent use.
type Samples struct {
	R     io.Reader
	buf   []byte
	carry byte // the first byte of a sample split between reads
	odd   bool // carry holds a byte
}

// Read fills p with the samples R has delivered: at least one unless R
// fails, in which case it returns the samples it has with R's error
// (io.EOF at the end; a dangling half sample is dropped).
func (s *Samples) Read(p []int16) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if cap(s.buf) < 2*len(p) {
		s.buf = make([]byte, 2*len(p))
	}
	buf := s.buf[:2*len(p)]
	n := 0
	if s.odd {
		buf[0], n, s.odd = s.carry, 1, false
	}
	var err error
	for n < 2 && err == nil {
		var m int
		m, err = s.R.Read(buf[n:])
		n += m
	}
	for i := range n / 2 {
		p[i] = int16(binary.LittleEndian.Uint16(buf[2*i:]))
	}
	if n%2 == 1 {
		s.carry, s.odd = buf[n-1], true
	}
	return n / 2, err
}
