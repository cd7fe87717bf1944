package audio

import (
	"math"
	"testing"
)

// Reference values: reconstruction levels of ITU-T G.711 tables 1a and 2a
// (mu-law: 14-bit values shifted left 2, so the top level 8031 is 32124;
// A-law: 13-bit values shifted left 3, so the top level 4032 is 32256),
// which the G.191 reference software and Sun's g711.c also give.
func TestUlawReference(t *testing.T) {
	decode := []struct {
		code byte
		want int16
	}{
		{0x00, -32124}, // most negative
		{0x80, 32124},  // most positive
		{0xFF, 0},      // positive zero
		{0x7F, 0},      // negative zero
		{0xFE, 8},
		{0x7E, -8},
		{0xF0, 120}, // top of the first segment (step 8)
		{0xEF, 132}, // bottom of the second (step 16)
		{0x8F, 16764},
		{0x0F, -16764},
		{0x81, 31100},
	}
	for _, c := range decode {
		if got := DecodeUlaw(nil, Ulaw{c.code})[0]; got != c.want {
			t.Errorf("DecodeUlaw(%#02x) = %d, want %d", c.code, got, c.want)
		}
	}
	encode := []struct {
		in   int16
		want byte
	}{
		{0, 0xFF},
		{-1, 0x7F}, // one's complement: -1 is the smallest negative value
		{3, 0xFF},
		{-4, 0x7F},
		{8, 0xFE},
		{-9, 0x7E},
		{32767, 0x80},
		{-32768, 0x00},
		{32124, 0x80},
		{-32124, 0x00},
	}
	for _, c := range encode {
		if got := EncodeUlaw(nil, PCM16{c.in})[0]; got != c.want {
			t.Errorf("EncodeUlaw(%d) = %#02x, want %#02x", c.in, got, c.want)
		}
	}
}

func TestAlawReference(t *testing.T) {
	decode := []struct {
		code byte
		want int16
	}{
		{0xD5, 8}, // even bits inverted: 0xD5 is +, segment 0, step 0
		{0x55, -8},
		{0xD4, 24},
		{0xC5, 264}, // bottom of segment 1 (still step 16)
		{0xAA, 32256},
		{0x2A, -32256},
		{0x80, 5504},
		{0x00, -5504},
	}
	for _, c := range decode {
		if got := DecodeAlaw(nil, Alaw{c.code})[0]; got != c.want {
			t.Errorf("DecodeAlaw(%#02x) = %d, want %d", c.code, got, c.want)
		}
	}
	encode := []struct {
		in   int16
		want byte
	}{
		{0, 0xD5},
		{15, 0xD5},
		{16, 0xD4},
		{-1, 0x55},
		{-16, 0x55},
		{-17, 0x54},
		{32767, 0xAA},
		{-32768, 0x2A},
	}
	for _, c := range encode {
		if got := EncodeAlaw(nil, PCM16{c.in})[0]; got != c.want {
			t.Errorf("EncodeAlaw(%d) = %#02x, want %#02x", c.in, got, c.want)
		}
	}
}

func TestG711RoundTripAllCodes(t *testing.T) {
	for c := range 256 {
		want := byte(c)
		if want == 0x7F { // negative zero decodes to 0, which encodes as 0xFF
			want = 0xFF
		}
		if got := EncodeUlaw(nil, DecodeUlaw(nil, Ulaw{byte(c)}))[0]; got != want {
			t.Errorf("mu-law: encode(decode(%#02x)) = %#02x, want %#02x", c, got, want)
		}
		if got := EncodeAlaw(nil, DecodeAlaw(nil, Alaw{byte(c)}))[0]; got != byte(c) {
			t.Errorf("A-law: encode(decode(%#02x)) = %#02x", c, got)
		}
	}
}

// allInt16 is every 16-bit sample, in increasing order.
func allInt16() PCM16 {
	out := make(PCM16, 0, 1<<16)
	for x := math.MinInt16; x <= math.MaxInt16; x++ {
		out = append(out, int16(x))
	}
	return out
}

func TestG711Monotonic(t *testing.T) {
	all := allInt16()
	laws := []struct {
		name  string
		codec func(PCM16) PCM16
		// maxErr bounds |x - codec(x)|: half a quantization step, which is
		// about |x|/32, plus the bias of the one's complement folding.
		maxErr func(x int) int
	}{
		{"ulaw", func(x PCM16) PCM16 { return DecodeUlaw(nil, EncodeUlaw(nil, x)) }, func(x int) int {
			if abs(x) > 32124+512 { // beyond the top level: clipped
				return 32767 - 32124 + 1
			}
			return abs(x)/32 + 9
		}},
		{"alaw", func(x PCM16) PCM16 { return DecodeAlaw(nil, EncodeAlaw(nil, x)) }, func(x int) int { return abs(x)/32 + 16 }},
	}
	for _, law := range laws {
		out := law.codec(all)
		for i := 1; i < len(out); i++ {
			if out[i] < out[i-1] {
				t.Fatalf("%s: codec(%d) = %d < codec(%d) = %d", law.name, all[i], out[i], all[i-1], out[i-1])
			}
		}
		for i, x := range all {
			if e := abs(int(x) - int(out[i])); e > law.maxErr(int(x)) {
				t.Fatalf("%s: codec(%d) = %d, error %d > %d", law.name, x, out[i], e, law.maxErr(int(x)))
			}
		}
		// The codes in order of their level give strictly increasing values.
		levels := map[string]func(c int) int16{
			"ulaw": func(c int) int16 { // 0x00..0x7F rise to -0, 0xFF..0x80 rise to max
				if c < 128 {
					return DecodeUlaw(nil, Ulaw{byte(c)})[0]
				}
				return DecodeUlaw(nil, Ulaw{byte(383 - c)})[0]
			},
			"alaw": func(c int) int16 { // sign bit, then even bits inverted
				code := byte(c) ^ 0x55
				if c < 128 {
					code = byte(127-c) ^ 0x55
				}
				return DecodeAlaw(nil, Alaw{code})[0]
			},
		}
		level := levels[law.name]
		for c := 1; c < 256; c++ {
			if level(c) < level(c-1) || (level(c) == level(c-1) && !(law.name == "ulaw" && c == 128)) {
				t.Fatalf("%s: level %d = %d not above level %d = %d", law.name, c, level(c), c-1, level(c-1))
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// G.711 keeps a signal-to-quantization-noise ratio near 38 dB over a wide
// range of levels; check it for a 1 kHz tone from loud to quiet.
func TestG711SQNR(t *testing.T) {
	for _, level := range []float64{-3, -10, -20, -30} {
		amp := 32767 * math.Pow(10, level/20)
		in := sine(8000, 1000, amp, 8000)
		for name, out := range map[string]PCM16{
			"ulaw": DecodeUlaw(nil, EncodeUlaw(nil, in)),
			"alaw": DecodeAlaw(nil, EncodeAlaw(nil, in)),
		} {
			var sig, noise float64
			for i := range in {
				d := float64(out[i]) - float64(in[i])
				sig += float64(in[i]) * float64(in[i])
				noise += d * d
			}
			if sqnr := 10 * math.Log10(sig/noise); sqnr < 33 {
				t.Errorf("%s at %.0f dBFS: SQNR %.1f dB, want >= 33", name, level, sqnr)
			}
		}
	}
}

func TestG711Append(t *testing.T) {
	dst := PCM16{1, 2}
	got := DecodeUlaw(dst, Ulaw{0xFF, 0x80})
	if len(got) != 4 || got[0] != 1 || got[1] != 2 || got[2] != 0 || got[3] != 32124 {
		t.Errorf("DecodeUlaw appended: %v", got)
	}
	if got := EncodeAlaw(Alaw("x"), nil); string(got) != "x" {
		t.Errorf("EncodeAlaw of nothing = %q", got)
	}
	if got := DecodeAlaw(nil, nil); len(got) != 0 {
		t.Errorf("DecodeAlaw of nothing = %v", got)
	}
}
