package twiliotest

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/telephony/audio"
)

// Utterance is speech queued by Say: its frames go out one every 20 ms,
// after the utterances queued before it.
type Utterance struct {
	ulaw    []byte // whole frames, the last padded with silence
	frames  int
	started chan struct{}
	done    chan struct{}

	mu          sync.Mutex
	first, last time.Time
	complete    bool
	startClosed bool
}

// Say queues pcm, 8 kHz PCM, as the caller's speech, padded with silence to
// whole 20 ms frames, and returns at once. Once the call has ended the
// Utterance is returned already done, and its Wait says ErrClosed.
func (c *Client) Say(pcm []int16) *Utterance {
	n := (len(pcm) + frameSize - 1) / frameSize
	ulaw := audio.EncodeUlaw(make(audio.Ulaw, 0, n*frameSize), pcm)
	for len(ulaw) < n*frameSize {
		ulaw = append(ulaw, audio.UlawSilence)
	}
	u := &Utterance{ulaw: ulaw, frames: n, started: make(chan struct{}), done: make(chan struct{})}
	if n == 0 {
		now := time.Now()
		u.sent(now, false)
		u.sent(now, true)
		return u
	}
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		u.abandon()
		return u
	}
	c.says = append(c.says, u)
	c.mu.Unlock()
	return u
}

// sent records the sending of the first frame or (last) of the last.
func (u *Utterance) sent(now time.Time, last bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.startClosed {
		u.first, u.startClosed = now, true
		close(u.started)
	}
	if last {
		u.last, u.complete = now, true
		close(u.done)
	}
}

// abandon ends an utterance the call ended before sending.
func (u *Utterance) abandon() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.startClosed {
		u.startClosed = true
		close(u.started)
	}
	close(u.done)
}

// Started is closed when the first frame has been sent, or the call ended
// before.
func (u *Utterance) Started() <-chan struct{} { return u.started }

// Wait waits until the last frame has been sent. The error is ctx's, or ErrClosed when the call
// ended before the last frame was sent.
func (u *Utterance) Wait(ctx context.Context) error {
	select {
	case <-u.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.complete {
		return ErrClosed
	}
	return nil
}

// FirstFrame is the wall-clock time the first frame was sent (taken just
// before writing it): when the caller started speaking. Zero before.
func (u *Utterance) FirstFrame() time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.first
}

// LastFrame is the wall-clock time the last frame was sent; zero before.
func (u *Utterance) LastFrame() time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

// Duration is the utterance's length: its frames times 20 ms.
func (u *Utterance) Duration() time.Duration {
	return time.Duration(u.frames) * audio.FrameDuration
}

// LoadWAV reads a WAV file (mono 16-bit PCM, μ-law or A-law) and returns
// its audio at 8 kHz, for Say.
func LoadWAV(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pcm, err := ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pcm, nil
}

// ReadWAV is LoadWAV for a stream. Rates other than 8 kHz are resampled
// with audio.Resampler (8, 12, 16, 24, 32, 48 and 22.05 kHz); the error
// wraps audio.ErrSampleRate for others, audio.ErrNotWAV or
// audio.ErrWAVFormat.
func ReadWAV(r io.Reader) ([]int16, error) {
	pcm, rate, err := audio.ReadWAV(r)
	if err != nil || rate == Rate {
		return pcm, err
	}
	rs, err := audio.NewResampler(rate, Rate)
	if err != nil {
		return nil, err
	}
	out := rs.Resample(make(audio.PCM16, 0, len(pcm)*Rate/rate+frameSize), pcm)
	// A few ms of silence flush the filter's delay, so the end is kept.
	return rs.Resample(out, make(audio.PCM16, audio.FrameSize(rate)/4)), nil
}

// Sine returns d of a sine at hz, 8 kHz PCM at a quarter of full scale:
// a caller's "speech" that a test can find by frequency with Tone.
func Sine(hz float64, d time.Duration) []int16 {
	n := int(d.Seconds() * Rate)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(8192 * math.Sin(2*math.Pi*hz*float64(i)/Rate))
	}
	return out
}

// Tone returns the share of pcm's energy at hz (a Goertzel filter over all
// of pcm, sampled at rate Hz): about 1 for a pure tone at hz, near 0 for
// silence, noise or other frequencies more than a few rate/len(pcm) Hz
// away.
func Tone(pcm []int16, rate int, hz float64) float64 {
	if len(pcm) == 0 || rate <= 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*hz/float64(rate))
	var s1, s2, energy float64
	for _, x := range pcm {
		v := float64(x)
		s1, s2 = v+coeff*s1-s2, s1
		energy += v * v
	}
	if energy == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * power / (float64(len(pcm)) * energy)
}
