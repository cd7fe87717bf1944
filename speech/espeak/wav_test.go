package espeak

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// espeakHeader is the header espeak-ng 1.51 writes to a pipe.
var espeakHeader = []byte("RIFF$\xf0\xff\x7fWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x22\x56\x00\x00\x44\xac\x00\x00\x02\x00\x10\x00data\x00\xf0\xff\x7f")

func TestReadHeader(t *testing.T) {
	list := []byte("LIST\x03\x00\x00\x00abc\x00") // odd size: one byte of padding
	withList := append(append(bytes.Clone(espeakHeader[:36]), list...), espeakHeader[36:]...)
	for _, c := range []struct {
		name string
		in   []byte
		want header
	}{
		{"espeak-ng", espeakHeader, header{format: 1, channels: 1, bits: 16, rate: 22050, size: -1}},
		{"sized", wavHeader(8000, 320), header{format: 1, channels: 1, bits: 16, rate: 8000, size: 320}},
		{"zero size", wavHeader(16000, 0), header{format: 1, channels: 1, bits: 16, rate: 16000, size: -1}},
		{"a chunk before the data", withList, header{format: 1, channels: 1, bits: 16, rate: 22050, size: -1}},
	} {
		r := bytes.NewReader(append(bytes.Clone(c.in), 1, 2, 3))
		h, err := readHeader(r)
		if err != nil || h != c.want {
			t.Errorf("%s: %+v, %v; want %+v", c.name, h, err, c.want)
		}
		if rest, _ := io.ReadAll(r); !bytes.Equal(rest, []byte{1, 2, 3}) {
			t.Errorf("%s: read into the samples: %v left", c.name, rest)
		}
	}
	hugeChunk := append(bytes.Clone(espeakHeader[:36]), "JUNK\x00\x00\x01\x00"...)
	shortFmt := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00data\x00\x00\x00\x00")
	for _, c := range []struct{ name, in string }{
		{"empty", ""},
		{"text", "hello, this is not a WAV file at all"},
		{"RIFX", "RIFX" + string(espeakHeader[4:])},
		{"not WAVE", string(espeakHeader[:8]) + "AVI " + string(espeakHeader[12:])},
		{"cut in the fmt chunk", string(espeakHeader[:30])},
		{"cut before the data", string(espeakHeader[:36])},
		{"cut in a chunk header", string(espeakHeader[:40])},
		{"fmt of 4 bytes", string(shortFmt)},
		{"data before fmt", "RIFF\x00\x00\x00\x00WAVEdata\x00\x00\x00\x00"},
		{"a chunk of 64 KiB", string(hugeChunk)},
	} {
		_, err := readHeader(strings.NewReader(c.in))
		if !errors.Is(err, ErrNotWAV) {
			t.Errorf("%s: %v, want ErrNotWAV", c.name, err)
		}
	}
}

// FuzzReadHeader: any input gives a header or ErrNotWAV, never a panic;
// at most maxHeader bytes are read, and a header ends right after a data
// chunk's header.
func FuzzReadHeader(f *testing.F) {
	f.Add(espeakHeader)
	f.Add(wavHeader(8000, 320))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\x00\x00\x00\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEJUNK\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		h, err := readHeader(r)
		read := len(data) - r.Len()
		if read > maxHeader+8 {
			t.Fatalf("read %d bytes of header", read)
		}
		if err != nil {
			if !errors.Is(err, ErrNotWAV) {
				t.Fatalf("error %v does not wrap ErrNotWAV", err)
			}
			return
		}
		if read < 20 || string(data[read-8:read-4]) != "data" {
			t.Fatalf("header ends at %d, not after a data chunk header", read)
		}
		if h.size < -1 || h.size == 0 {
			t.Fatalf("size %d", h.size)
		}
	})
}
