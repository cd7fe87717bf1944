package speech

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

// TestSamples: any split of the bytes, any size of p, gives the same
// samples; the error comes with the last of them.
func TestSamples(t *testing.T) {
	want := []int16{0, 1, -1, 32767, -32768, 1234, -4321}
	var data []byte
	for _, v := range want {
		data = binary.LittleEndian.AppendUint16(data, uint16(v))
	}
	for _, r := range []func() io.Reader{
		func() io.Reader { return bytes.NewReader(data) },
		func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
	} {
		for size := 1; size <= 4; size++ {
			s := &Samples{R: r()}
			var got []int16
			p := make([]int16, size)
			for {
				n, err := s.Read(p)
				got = append(got, p[:n]...)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil || n == 0 {
					t.Fatalf("size %d: %d samples, %v", size, n, err)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("size %d: %v, want %v", size, got, want)
			}
		}
	}
	if n, err := (&Samples{R: bytes.NewReader([]byte{1, 2, 3})}).Read(make([]int16, 4)); n != 1 || err != nil {
		t.Errorf("a half sample: %d, %v", n, err)
	}
}
