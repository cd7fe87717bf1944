package telephony

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// speakBuffers are the audio buffers of a call's speech, reused by each
// utterance in turn (one plays at a time).
type speakBuffers struct {
	chunk  audio.PCM16 // frames gathered for the next message
	in     []int16
	framer *audio.Framer[int16]
	// chain takes text-to-speech audio to 20 ms frames:
	// resample(24000->8000) -> playout(8000), built for the synthesiser's
	// rate; its end hands frames to emit, the sentence's.
	chain audio.Writer[audio.PCM16]
	emit  func(audio.PCM16) error
}

// playout is the end of the chain: frames out of the framer, to emit.
func (b *speakBuffers) playout(pcm audio.PCM16) error {
	b.framer.Write(pcm)
	for {
		f, ok := b.framer.Next()
		if !ok {
			return nil
		}
		if err := b.emit(f); err != nil {
			return err
		}
	}
}

// player plays one utterance's sentences.
type player struct {
	c         *Call
	u         *utterance
	timing    *TurnTiming // of the caller's turn this answers; nil for others
	cacheable bool
	pacer     *audio.Pacer
	started   bool
	n         int       // frames since the schedule started
	dry       time.Time // when the audio sent so far will have been played
	sentence  int       // of the frames gathered
}

// Playout of the agent's speech: the first leadFrames of each stretch go
// out as soon as they are synthesised, 200 ms ahead of real time, so a
// server stalled for less than that is not heard — what one read of the
// synthesiser gives as one message; then chunkFrames to a message, so a
// speaking call wakes and writes every 400 ms instead of every 20. What
// an interrupted caller heard is told by the time, not by how much was
// sent (utterance.heard), so bigger messages do not blur it.
const (
	leadFrames  = 10
	chunkFrames = 20
)

// maxTail is the most of an utterance left to play when the loop hears it
// has ended (and a barge-in can no longer cut it): what 200 ms messages
// 200 ms ahead left, now that messages are bigger.
const maxTail = 400 * time.Millisecond

// settle returns once at most maxTail of what was sent is left to play,
// or the utterance is interrupted.
func (p *player) settle(ctx context.Context) {
	wait := time.Until(p.dry) - maxTail
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (p *player) say(ctx context.Context, text string) {
	text = strings.TrimSpace(text)
	if ctx.Err() != nil || text == "" {
		return
	}
	c := p.c
	i := p.u.add(text)
	if now := time.Now(); !now.Before(p.dry) {
		p.pacer.Reset() // the caller's buffer has run dry: start again, a little ahead
		p.n = 0
	}
	if c.conv.TTS == nil {
		return // the caller hears nothing
	}
	c.speakBuf.chunk = c.speakBuf.chunk[:0]
	emit := func(frame audio.PCM16) error { return p.emit(ctx, i, frame) }
	err := p.sound(ctx, text, emit)
	if err == nil {
		err = p.flush(ctx, i)
	}
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, errLine) {
			c.log.Warn("text-to-speech failed", "tts", c.conv.TTS.String(), "err", err)
		}
		return
	}
	p.u.sent(i, 0, true)
	c.mark(ctx, fmt.Sprintf("%d.%d", p.u.id, i))
}

// sound hands emit the audio of text: from the cache, from a synthesis
// for the cache under way (the sentence is one to keep and another call
// asked for it first, or this one starts it), or synthesised for this
// call alone.
func (p *player) sound(ctx context.Context, text string, emit func(audio.PCM16) error) error {
	c := p.c
	tts := c.conv.TTS
	key := cacheKey(c.conv.Agent.Name, c.lang, tts, text)
	pcm, f, start := c.rt.cache.lookup(key, c.info.ID, p.cacheable)
	if start {
		go c.rt.fill(ctx, key, f, tts, text, c.lang)
	}
	switch {
	case f != nil:
		err := p.follow(ctx, f, emit)
		if !errors.Is(err, errFillFailed) {
			return err
		}
		// The synthesis failed before any of it was said: this call asks
		// on its own, as it would have without the others.
	case pcm != nil:
		for off := 0; off+frameLen <= len(pcm); off += frameLen {
			if err := emit(pcm[off : off+frameLen]); err != nil {
				return err
			}
		}
		return nil
	}
	first := func(d time.Duration) {
		c.rt.metrics.firstByte(d)
		p.firstAudio(d)
	}
	return synthesize(ctx, tts, text, c.lang, &c.speakBuf, first, emit, func() error { return p.lead(ctx) })
}

// firstAudio times the wait for the first audio of the answer to the
// caller's turn.
func (p *player) firstAudio(d time.Duration) {
	if p.timing != nil && p.timing.TTS == 0 {
		p.timing.TTS = d
	}
}

// errFillFailed: the synthesis a call followed failed before any audio.
var errFillFailed = errors.New("the shared synthesis failed")

// follow plays a sentence being synthesised for the cache as it comes,
// sending the lead as the synthesiser gives it. When the synthesis fails
// before giving any audio, the error is errFillFailed.
func (p *player) follow(ctx context.Context, f *fill, emit func(audio.PCM16) error) error {
	start := time.Now()
	off := 0
	for {
		pcm, done, err, more := f.state()
		if off == 0 && len(pcm) > 0 {
			p.firstAudio(time.Since(start))
		}
		for ; off+frameLen <= len(pcm); off += frameLen {
			if err := emit(pcm[off : off+frameLen]); err != nil {
				return err
			}
		}
		if done {
			if err != nil && off == 0 {
				return fmt.Errorf("%w: %w", errFillFailed, err)
			}
			return err
		}
		if err := p.lead(ctx); err != nil {
			return err
		}
		select {
		case <-more:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// fillTimeout bounds the synthesis of a sentence for the cache.
const fillTimeout = 30 * time.Second

// fill synthesises the sentence of key for the cache, apart from the call
// that asked for it first: the calls playing it may stop listening, or
// hang up, before it ends.
func (rt *Runtime) fill(ctx context.Context, key string, f *fill, tts speech.TTS, text, lang string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fillTimeout)
	defer cancel()
	var b speakBuffers
	err := synthesize(ctx, tts, text, lang, &b, rt.metrics.firstByte, func(frame audio.PCM16) error {
		f.add(frame)
		return nil
	}, nil)
	rt.cache.filled(key, f, err)
}

// emit gathers a frame of sentence i: sent once the lead is complete
// (or, by lead, once the synthesiser has given what it has), then
// chunkFrames to a message.
func (p *player) emit(ctx context.Context, i int, frame audio.PCM16) error {
	b := &p.c.speakBuf
	b.chunk = append(b.chunk, frame...)
	p.sentence = i
	gathered := len(b.chunk) / frameLen
	if p.n < leadFrames && p.n+gathered < leadFrames || p.n >= leadFrames && gathered < chunkFrames {
		return nil
	}
	return p.flush(ctx, i)
}

// lead sends, while the caller's buffer fills, the frames gathered so
// far: the synthesiser has given all it had for now.
func (p *player) lead(ctx context.Context) error {
	if p.n >= leadFrames {
		return nil
	}
	return p.flush(ctx, p.sentence)
}

// flush sends the frames gathered, in one message, in the slot of the
// first: the first leadFrames of each stretch of speech at once, then
// chunkFrames every 400 ms.
func (p *player) flush(ctx context.Context, i int) error {
	b := &p.c.speakBuf
	frames := len(b.chunk) / frameLen
	if frames == 0 {
		return nil
	}
	if p.n >= leadFrames {
		if _, err := p.pacer.Wait(ctx); err != nil {
			return err
		}
		p.pacer.Skip(frames - 1)
	}
	p.n += frames
	err := p.c.send(ctx, b.chunk)
	b.chunk = b.chunk[:0]
	if err != nil {
		if ctx.Err() == nil {
			p.c.log.Warn("the line failed; ending the call", "err", err)
			p.c.Hangup()
		}
		return fmt.Errorf("%w: %w", errLine, err)
	}
	p.u.sent(i, frames, false)
	if now := time.Now(); p.dry.Before(now) {
		p.dry = now
	}
	p.dry = p.dry.Add(time.Duration(frames) * audio.FrameDuration)
	p.u.playing(p.dry)
	if !p.started {
		p.started = true
		if t := p.timing; t != nil {
			t.ReplyDelay = time.Since(t.from)
			p.c.rt.metrics.turn(*t)
			if w := p.c.watch; w != nil {
				w.Timed(*t)
			}
			p.c.log.Info("turn", "endpointing_ms", ms(t.Endpointing), "stt_ms", ms(t.STT), "external_ms", ms(t.External),
				"tts_ms", ms(t.TTS), "reply_delay_ms", ms(t.ReplyDelay), "orchestrator_us", t.Orchestrator().Microseconds())
		}
	}
	return nil
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

// send writes audio unless the utterance was cancelled: the check and
// the write happen under the lock Clear takes, so nothing of a cancelled
// utterance follows its clear.
func (c *Call) send(ctx context.Context, frame audio.PCM16) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.line.WriteSample(frame)
}

func (c *Call) mark(ctx context.Context, name string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if ctx.Err() != nil {
		return
	}
	if err := c.line.Mark(name); err != nil {
		c.log.Debug("mark", "err", err)
	}
}

// synthesize speaks text with tts and hands emit its audio as 20 ms
// frames at Rate, the last one padded with silence, through b's chain.
// first is told how long the first audio took.
//
// After each read of the synthesiser's audio it calls read, when not nil.
func synthesize(ctx context.Context, tts speech.TTS, text, lang string, b *speakBuffers, first func(time.Duration), emit func(audio.PCM16) error, read func() error) error {
	start := time.Now()
	a, err := tts.Synthesize(ctx, text, lang)
	if err != nil {
		return err
	}
	defer a.Close()
	if b.framer == nil {
		b.framer, _ = audio.NewFramer[int16](frameLen)
		b.in = make([]int16, 2400) // 100 ms at 24 kHz
	}
	if b.chain == nil || b.chain.SampleRate() != tts.SampleRate() {
		w, err := audio.NewResampleWriter(audio.NewFuncWriter("playout", Rate, b.playout), tts.SampleRate())
		if err != nil {
			return err
		}
		b.chain = w
	}
	b.framer.Reset()
	audio.Reset(b.chain) // a sentence is a stream of its own
	b.emit = emit
	defer func() { b.emit = nil }()
	got := false
	for {
		n, err := a.Read(b.in)
		if n > 0 {
			if !got {
				got = true
				first(time.Since(start))
			}
			if err := b.chain.WriteSample(b.in[:n]); err != nil {
				return err
			}
			if read != nil {
				if err := read(); err != nil {
					return err
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	if f, ok := b.framer.Flush(0); ok {
		return emit(f)
	}
	return nil
}
