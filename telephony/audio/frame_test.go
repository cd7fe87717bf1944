package audio

import (
	"errors"
	"slices"
	"testing"
)

// frames drains f.
func frames[E any](f *Framer[E]) [][]E {
	var out [][]E
	for {
		fr, ok := f.Next()
		if !ok {
			return out
		}
		out = append(out, slices.Clone(fr))
	}
}

func TestFramer(t *testing.T) {
	f, err := NewFramer[byte](4)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Next(); ok {
		t.Fatal("Next on an empty framer returned a frame")
	}
	var got [][]byte
	for _, chunk := range []string{"ab", "c", "", "defghij", "k", "lmnopq"} {
		f.Write([]byte(chunk))
		got = append(got, frames(f)...)
	}
	want := [][]byte{[]byte("abcd"), []byte("efgh"), []byte("ijkl"), []byte("mnop")}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("frames = %q, want %q", got, want)
	}
	if f.Len() != 1 {
		t.Errorf("Len = %d, want 1", f.Len())
	}
	fr, ok := f.Flush(UlawSilence)
	if !ok || string(fr) != "q\xff\xff\xff" {
		t.Errorf("Flush = %q, %v", fr, ok)
	}
	if _, ok := f.Flush(UlawSilence); ok || f.Len() != 0 {
		t.Errorf("second Flush returned a frame, Len %d", f.Len())
	}
}

func TestFramerFlushAndReset(t *testing.T) {
	f, _ := NewFramer[int16](3)
	f.Write([]int16{1, 2, 3, 4, 5, 6, 7})
	// Flush hands out whole frames first, then the padded remainder.
	var got [][]int16
	for {
		fr, ok := f.Flush(0)
		if !ok {
			break
		}
		got = append(got, slices.Clone(fr))
	}
	want := [][]int16{{1, 2, 3}, {4, 5, 6}, {7, 0, 0}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("flushed %v, want %v", got, want)
	}
	f.Write([]int16{1, 2})
	f.Reset()
	if f.Len() != 0 {
		t.Errorf("Len after Reset = %d", f.Len())
	}
	f.Write([]int16{8, 9, 10})
	if fr, ok := f.Next(); !ok || !slices.Equal(fr, []int16{8, 9, 10}) {
		t.Errorf("after Reset: %v, %v", fr, ok)
	}
}

func TestNewFramerSize(t *testing.T) {
	for _, n := range []int{0, -1} {
		if _, err := NewFramer[byte](n); !errors.Is(err, ErrFrameSize) {
			t.Errorf("NewFramer(%d) error = %v, want ErrFrameSize", n, err)
		}
	}
}
