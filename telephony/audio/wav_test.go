package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"runtime"
	"slices"
	"testing"
	"testing/iotest"
)

// wavHeader builds a WAV header by hand: a fmt chunk of fmtSize bytes
// (16, 18 or 40) and a data chunk header declaring dataSize bytes.
func wavHeader(format, channels, rate, bits, fmtSize int, dataSize uint32) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, uint32(fmtSize))
	tag := format
	if fmtSize == 40 {
		tag = wavExtensible
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(tag))
	b = binary.LittleEndian.AppendUint16(b, uint16(channels))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate*channels*bits/8))
	b = binary.LittleEndian.AppendUint16(b, uint16(channels*bits/8))
	b = binary.LittleEndian.AppendUint16(b, uint16(bits))
	switch fmtSize {
	case 18:
		b = append(b, 0, 0)
	case 40:
		b = binary.LittleEndian.AppendUint16(b, 22)
		b = binary.LittleEndian.AppendUint16(b, uint16(bits))
		b = binary.LittleEndian.AppendUint32(b, 4) // channel mask
		b = binary.LittleEndian.AppendUint16(b, uint16(format))
		b = append(b, "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71"...)
	}
	b = append(b, "data"...)
	return binary.LittleEndian.AppendUint32(b, dataSize)
}

func TestWAVRoundTrip(t *testing.T) {
	pcm := noise(1, 20000, 1001)
	var buf bytes.Buffer
	if err := WriteWAV(&buf, pcm, 24000); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 44+2*len(pcm) {
		t.Errorf("WAV of %d bytes, want %d", buf.Len(), 44+2*len(pcm))
	}
	got, rate, err := ReadWAV(&buf)
	if err != nil || rate != 24000 || !slices.Equal(got, pcm) {
		t.Errorf("ReadWAV = %d samples, %d Hz, %v", len(got), rate, err)
	}
	if err := WriteWAV(io.Discard, pcm, 0); !errors.Is(err, ErrSampleRate) {
		t.Errorf("WriteWAV at 0 Hz: %v", err)
	}
	boom := errors.New("boom")
	if err := WriteWAV(errWriter{boom}, nil, 8000); !errors.Is(err, boom) {
		t.Errorf("WriteWAV to a failing writer: %v", err)
	}
}

func TestReadWAVFixture(t *testing.T) {
	pcm, rate := readFixture(t, "testdata/speech_en.wav")
	if rate != 8000 || len(pcm) != 35712 {
		t.Errorf("%d samples at %d Hz, want 35712 at 8000", len(pcm), rate)
	}
	// One byte at a time reads the same.
	data, err := os.ReadFile("testdata/speech_en.wav")
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadWAV(iotest.OneByteReader(bytes.NewReader(data)))
	if err != nil || !slices.Equal(got, pcm) {
		t.Errorf("one byte at a time: %d samples, %v", len(got), err)
	}
}

func TestReadWAVFormats(t *testing.T) {
	codes := []byte{0x00, 0x7F, 0x80, 0xFF, 0xD5, 0x2A}
	cases := []struct {
		name string
		wav  []byte
		want PCM16
	}{
		{"mu-law", append(wavHeader(wavUlaw, 1, 8000, 8, 18, 6), codes...), DecodeUlaw(nil, codes)},
		{"a-law", append(wavHeader(wavAlaw, 1, 8000, 8, 18, 6), codes...), DecodeAlaw(nil, codes)},
		{"extensible pcm", append(wavHeader(wavPCM, 1, 8000, 16, 40, 4), 1, 0, 0xFF, 0xFF), PCM16{1, -1}},
		{"extensible mu-law", append(wavHeader(wavUlaw, 1, 8000, 8, 40, 2), 0xFF, 0x80), PCM16{0, 32124}},
		{"odd data length", append(wavHeader(wavPCM, 1, 8000, 16, 16, 5), 1, 0, 2, 0, 9, 0), PCM16{1, 2}},
		{"streaming size", append(wavHeader(wavPCM, 1, 8000, 16, 16, 0xFFFFFFFF), 1, 0, 2, 0, 3), PCM16{1, 2}},
		{"empty data", wavHeader(wavPCM, 1, 8000, 16, 16, 0), PCM16{}},
	}
	// A chunk of odd size before the data is padded to an even size.
	withList := wavHeader(wavPCM, 1, 8000, 16, 16, 2)
	withList = slices.Insert(withList, len(withList)-8, []byte("LIST\x03\x00\x00\x00abc\x00")...)
	cases = append(cases, struct {
		name string
		wav  []byte
		want PCM16
	}{"odd chunk before data", append(withList, 7, 0), PCM16{7}})
	for _, c := range cases {
		got, rate, err := ReadWAV(bytes.NewReader(c.wav))
		if err != nil || rate != 8000 || !slices.Equal(got, c.want) {
			t.Errorf("%s: ReadWAV = %v, %d, %v; want %v", c.name, got, rate, err, c.want)
		}
	}
}

func TestReadWAVErrors(t *testing.T) {
	pcm16 := wavHeader(wavPCM, 1, 8000, 16, 16, 4)
	cases := []struct {
		name string
		wav  []byte
		want []error
	}{
		{"empty", nil, []error{ErrNotWAV}},
		{"not riff", []byte("RIFX\x00\x00\x00\x00WAVEfmt "), []error{ErrNotWAV}},
		{"no chunks", []byte("RIFF\x00\x00\x00\x00WAVE"), []error{ErrNotWAV}},
		{"data before fmt", []byte("RIFF\x00\x00\x00\x00WAVEdata\x00\x00\x00\x00"), []error{ErrNotWAV}},
		{"short fmt", []byte("RIFF\x00\x00\x00\x00WAVEfmt \x0e\x00\x00\x00\x01\x00\x01\x00"), []error{ErrNotWAV}},
		{"truncated fmt", pcm16[:30], []error{ErrNotWAV}},
		{"truncated data", append(slices.Clone(pcm16), 1, 0), []error{ErrNotWAV, io.ErrUnexpectedEOF}},
		{"truncated chunk", []byte("RIFF\x00\x00\x00\x00WAVELIST\xff\x00\x00\x00abc"), []error{ErrNotWAV}},
		{"stereo", wavHeader(wavPCM, 2, 8000, 16, 16, 0), []error{ErrWAVFormat}},
		{"24-bit", wavHeader(wavPCM, 1, 8000, 24, 16, 0), []error{ErrWAVFormat}},
		{"float", wavHeader(3, 1, 8000, 32, 16, 0), []error{ErrWAVFormat}},
		{"16-bit mu-law", wavHeader(wavUlaw, 1, 8000, 16, 16, 0), []error{ErrWAVFormat}},
		{"zero rate", wavHeader(wavPCM, 1, 0, 16, 16, 0), []error{ErrWAVFormat}},
	}
	for _, c := range cases {
		_, _, err := ReadWAV(bytes.NewReader(c.wav))
		for _, w := range c.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: error %v, want %v", c.name, err, w)
			}
		}
	}
	// Errors of the reader itself are passed on.
	boom := errors.New("boom")
	_, _, err := ReadWAV(io.MultiReader(bytes.NewReader(pcm16), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) || errors.Is(err, ErrNotWAV) {
		t.Errorf("reader error: %v", err)
	}
}

// A header that declares 4 GiB of data costs what the bytes present cost.
func TestReadWAVDoesNotTrustSizes(t *testing.T) {
	wav := append(wavHeader(wavPCM, 1, 8000, 16, 16, 0xFFFFFFF0), make([]byte, 100)...)
	huge := []byte("RIFF\xff\xff\xff\xffWAVEfmt \xf0\xff\xff\xff")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := ReadWAV(bytes.NewReader(wav))
	_, _, err2 := ReadWAV(bytes.NewReader(huge))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err2, ErrNotWAV) {
		t.Errorf("errors %v, %v", err, err2)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("allocated %d bytes for %d bytes of input", n, len(wav)+len(huge))
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }
