package audio

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ besides the f.Add seeds.

// FuzzReadWAV: any bytes give samples or ErrNotWAV/ErrWAVFormat, never a
// panic, and memory in proportion to the input whatever it declares.
func FuzzReadWAV(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteWAV(&buf, PCM16{0, 1, -1, 32767, -32768}, 8000)
	f.Add(buf.Bytes())
	f.Add(append(wavHeader(wavUlaw, 1, 8000, 8, 18, 3), 0xFF, 0x00, 0x80))
	f.Add(append(wavHeader(wavAlaw, 1, 16000, 8, 40, 0xFFFFFFFF), 0xD5, 0x55))
	f.Add(wavHeader(wavPCM, 1, 8000, 16, 16, 0xFFFFFFF0))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVELIST\x01\x00\x00\x00a\x00fmt "))
	f.Fuzz(func(t *testing.T, data []byte) {
		pcm, rate, err := ReadWAV(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrNotWAV) && !errors.Is(err, ErrWAVFormat) {
				t.Fatalf("error %v is neither ErrNotWAV nor ErrWAVFormat", err)
			}
			if pcm != nil || rate != 0 {
				t.Fatalf("error %v with %d samples at %d Hz", err, len(pcm), rate)
			}
			return
		}
		if rate <= 0 || len(pcm) > len(data) {
			t.Fatalf("%d samples at %d Hz from %d bytes", len(pcm), rate, len(data))
		}
		if cap(pcm) > wavBlock+2*len(data) {
			t.Fatalf("capacity %d for %d bytes of input", cap(pcm), len(data))
		}
		var out bytes.Buffer
		if err := WriteWAV(&out, pcm, rate); err != nil {
			if errors.Is(err, ErrSampleRate) {
				return // a rate too high to write back
			}
			t.Fatal(err)
		}
		again, rate2, err := ReadWAV(&out)
		if err != nil || rate2 != rate || !slices.Equal(again, pcm) {
			t.Fatalf("round trip: %d samples at %d Hz, %v; want %d at %d", len(again), rate2, err, len(pcm), rate)
		}
	})
}

// chunks cuts data at the offsets that cuts spells, one byte per cut
// (each 0..255 elements after the previous).
func chunks[E any](data []E, cuts []byte) [][]E {
	var out [][]E
	for _, c := range cuts {
		n := min(int(c), len(data))
		out = append(out, data[:n])
		data = data[n:]
	}
	return append(out, data)
}

// FuzzFramer: writing a stream in any chunks gives the frames, and the
// flushed remainder, that writing it at once gives.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("abcdefghijklmnopq"), []byte{2, 1, 0, 7, 1}, uint8(4))
	f.Add(make([]byte, 1000), []byte{160, 0, 255, 1, 159, 161}, uint8(160))
	f.Add([]byte{}, []byte{}, uint8(1))
	f.Add([]byte("x"), []byte{0, 0, 0}, uint8(0))
	f.Fuzz(func(t *testing.T, data, cuts []byte, size uint8) {
		fr, err := NewFramer[byte](int(size))
		if size == 0 {
			if !errors.Is(err, ErrFrameSize) {
				t.Fatalf("size 0: %v", err)
			}
			return
		}
		whole, _ := NewFramer[byte](int(size))
		whole.Write(data)
		want := frames(whole)
		wantTail, wantOK := whole.Flush(UlawSilence)
		wantTail = slices.Clone(wantTail)

		var got [][]byte
		for _, c := range chunks(data, cuts) {
			fr.Write(c)
			got = append(got, frames(fr)...)
		}
		tail, ok := fr.Flush(UlawSilence)
		if !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("chunked frames %q, want %q", got, want)
		}
		if ok != wantOK || !bytes.Equal(tail, wantTail) {
			t.Fatalf("chunked tail %q %v, want %q %v", tail, ok, wantTail, wantOK)
		}
		if len(want) != len(data)/int(size) || (wantOK && len(wantTail) != int(size)) {
			t.Fatalf("%d frames and tail %d of %d bytes in frames of %d", len(want), len(wantTail), len(data), size)
		}
		if !bytes.Equal(slices.Concat(append(want, wantTail)...)[:len(data)], data) {
			t.Fatal("frames do not spell the data")
		}
	})
}

// FuzzResampleChunks: any signal, cut anywhere, resamples exactly as it
// does whole, for every pair of rates.
func FuzzResampleChunks(f *testing.F) {
	f.Add(EncodePCM16LE(nil, sine(8000, 1000, 30000, 400)), []byte{1, 160, 7, 0, 200}, uint8(0))
	f.Add(EncodePCM16LE(nil, noise(1, 32767, 480)), []byte{3, 3, 3, 255}, uint8(3))
	f.Add([]byte{0xFF}, []byte{}, uint8(5))
	f.Fuzz(func(t *testing.T, data, cuts []byte, pair uint8) {
		p := ratePairs[int(pair)%len(ratePairs)]
		x := DecodePCM16LE(nil, data)
		whole, _ := NewResampler(p[0], p[1])
		want := whole.Resample(nil, x)
		r, _ := NewResampler(p[0], p[1])
		var got PCM16
		for _, c := range chunks(x, cuts) {
			got = r.Resample(got, c)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%v: chunked output differs", r)
		}
		// Outputs so far: those whose position the input has reached.
		if n := len(x) * p[1]; len(want) != (n+p[0]-1)/p[0] {
			t.Fatalf("%v: %d samples out for %d in", r, len(want), len(x))
		}
	})
}
