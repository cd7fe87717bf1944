package openai

import (
	"encoding/binary"
	"testing"
)

// The header is the canonical 44 bytes: RIFF size, PCM mono 16-bit at
// the rate, byte rate, block align, data length; then the samples in
// little-endian order.
func TestAppendWAV(t *testing.T) {
	pcm := []int16{0, 1, -1, 32767, -32768}
	b := appendWAV([]byte("x"), pcm, 16000)[1:]
	le := binary.LittleEndian
	if len(b) != 44+10 {
		t.Fatalf("%d bytes, want 54", len(b))
	}
	for _, c := range []struct {
		at   int
		want string
	}{{0, "RIFF"}, {8, "WAVE"}, {12, "fmt "}, {36, "data"}} {
		if got := string(b[c.at : c.at+4]); got != c.want {
			t.Errorf("at %d: %q, want %q", c.at, got, c.want)
		}
	}
	for _, c := range []struct {
		name      string
		got, want uint32
	}{
		{"RIFF size", le.Uint32(b[4:]), 46},
		{"fmt size", le.Uint32(b[16:]), 16},
		{"format", uint32(le.Uint16(b[20:])), 1},
		{"channels", uint32(le.Uint16(b[22:])), 1},
		{"rate", le.Uint32(b[24:]), 16000},
		{"byte rate", le.Uint32(b[28:]), 32000},
		{"block align", uint32(le.Uint16(b[32:])), 2},
		{"bits", uint32(le.Uint16(b[34:])), 16},
		{"data size", le.Uint32(b[40:]), 10},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for i, s := range pcm {
		if got := int16(le.Uint16(b[44+2*i:])); got != s {
			t.Errorf("sample %d = %d, want %d", i, got, s)
		}
	}
}

func TestClean(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\n\tb\x00c", 10, "a bc"},
		{"  ", 10, ""},
		{"ñññ", 3, "ñ…"},
		{"abcdef", 3, "abc…"},
	} {
		if got := clean(c.in, c.n); got != c.want {
			t.Errorf("clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
