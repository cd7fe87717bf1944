package audio

import "fmt"

// Framer cuts a stream written in chunks of any length into frames of a
// fixed size, keeping the remainder for the next write: 160-byte mu-law
// frames from text-to-speech chunks, or 320-sample PCM frames for
// speech-to-text. E is byte for G.711 and int16 for PCM16.
//
// A frame returned by Next aliases the Framer's buffer and is valid until
// the next Write, Flush or Reset. After the buffer has grown to fit the
// largest chunk, Write and Next allocate nothing. A Framer is not safe
// for concurrent use.
type Framer[E any] struct {
	size int
	buf  []E
	r    int // buf[r:] is not yet returned
}

// NewFramer returns a Framer of frames of size elements, for example
// FrameSize(8000) for 20 ms of mu-law. The error wraps ErrFrameSize when
// size is not positive.
func NewFramer[E any](size int) (*Framer[E], error) {
	if size <= 0 {
		return nil, fmt.Errorf("%w: %d", ErrFrameSize, size)
	}
	return &Framer[E]{size: size, buf: make([]E, 0, 2*size)}, nil
}

// Write adds p to the stream; Framer does not keep p.
func (f *Framer[E]) Write(p []E) {
	if f.r > 0 && len(f.buf)+len(p) > cap(f.buf) {
		n := copy(f.buf, f.buf[f.r:])
		f.buf, f.r = f.buf[:n], 0
	}
	f.buf = append(f.buf, p...)
}

// Next returns the next whole frame, or false when fewer than a frame's
// worth of elements are buffered.
func (f *Framer[E]) Next() ([]E, bool) {
	if len(f.buf)-f.r < f.size {
		return nil, false
	}
	fr := f.buf[f.r : f.r+f.size : f.r+f.size]
	f.r += f.size
	if f.r == len(f.buf) {
		f.buf, f.r = f.buf[:0], 0 // the frame stays valid until the next Write
	}
	return fr, true
}

// Flush is Next for the end of an utterance: it returns the next whole
// frame or, when less than a frame is left, the rest padded with pad to a
// whole frame (UlawSilence for mu-law, 0 for PCM16). It returns false when
// nothing is buffered, so calling it until then drains the Framer.
func (f *Framer[E]) Flush(pad E) ([]E, bool) {
	if len(f.buf)-f.r >= f.size {
		return f.Next()
	}
	n := len(f.buf) - f.r
	if n == 0 {
		f.Reset()
		return nil, false
	}
	copy(f.buf, f.buf[f.r:])
	f.buf = f.buf[:n]
	for len(f.buf) < f.size {
		f.buf = append(f.buf, pad)
	}
	fr := f.buf[:f.size:f.size]
	f.buf, f.r = f.buf[:0], 0
	return fr, true
}

// Len reports how many elements are buffered and not yet returned.
func (f *Framer[E]) Len() int { return len(f.buf) - f.r }

// Reset drops what is buffered: on barge-in, the rest of an utterance.
func (f *Framer[E]) Reset() { f.buf, f.r = f.buf[:0], 0 }
