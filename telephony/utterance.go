package telephony

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/telephony/audio"
)

// utterance is one stretch of the agent's speech, under its own context:
// cancelling it (barge-in) stops synthesis and playout at once.
type utterance struct {
	id            int
	interruptible bool
	reply         *Reply // the answer it says; nil for a filler
	cancel        context.CancelFunc
	done          chan struct{}
	interrupted   bool      // set by the loop
	stopped       time.Time // when the loop interrupted it
	late          int64     // frames sent late; written before done closes

	mu     sync.Mutex
	said   []sentence
	played int       // sentences the caller has heard to the end (their marks came back)
	dry    time.Time // when the caller will have heard all that was sent
}

type sentence struct {
	text   string
	frames int  // frames sent
	whole  bool // all its frames were sent
}

func (u *utterance) add(text string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.said = append(u.said, sentence{text: text})
	return len(u.said) - 1
}

// sent counts frames of sentence i sent; whole, that all of it was.
func (u *utterance) sent(i, frames int, whole bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.said[i].frames += frames
	u.said[i].whole = u.said[i].whole || whole
}

// playing says when the caller will have heard all that was sent.
func (u *utterance) playing(dry time.Time) {
	u.mu.Lock()
	u.dry = dry
	u.mu.Unlock()
}

func (u *utterance) markHeard(i int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if i >= 0 && i < len(u.said) { // a mark name comes from the network
		u.played = max(u.played, i+1)
	}
}

// heard is what the caller heard of an utterance interrupted at stopped:
// the sentences whose marks came back, and the share of the next one
// that was played, in whole words; the frames sent that would have played
// after stopped were not heard.
func (u *utterance) heard(stopped time.Time) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	ahead := max(0, int((u.dry.Sub(stopped)+audio.FrameDuration-1)/audio.FrameDuration))
	var parts []string
	for _, s := range u.said[:u.played] {
		parts = append(parts, s.text)
	}
	if u.played < len(u.said) {
		s := u.said[u.played]
		words := strings.Fields(s.text)
		played := float64(max(0, s.frames-ahead))
		total := float64(s.frames)
		if !s.whole { // still being synthesised: about 70 ms a character
			total = max(total, float64(len(s.text))*70/20)
		}
		if total > 0 {
			if k := int(float64(len(words)) * played / total); k > 0 {
				parts = append(parts, strings.Join(words[:k], " ")+"…")
			}
		}
	}
	return strings.Join(parts, " ")
}

// text is what the utterance said: its sentences, joined.
func (u *utterance) text() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	parts := make([]string, len(u.said))
	for i, s := range u.said {
		parts[i] = s.text
	}
	return strings.Join(parts, " ")
}

// speak starts an utterance of the answer r, its sentences as the session
// says them (Speak), or, when r is nil, of the filler text; each sentence
// is played as it is synthesised.
func (c *Call) speak(ctx context.Context, timing *TurnTiming, interruptible, cacheable bool, r *Reply, filler string) {
	uctx, cancel := context.WithCancel(ctx)
	u := &utterance{id: c.nextUtt, interruptible: interruptible, cancel: cancel, done: make(chan struct{}), reply: r}
	c.nextUtt++
	c.utt = u
	last := c.state == ending
	c.wg.Add(1)
	c.sessWG.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.sessWG.Done()
		defer close(u.done)
		defer cancel()
		// A frame is late when the caller's buffer, leadFrames ahead, has
		// run dry before it arrives: the caller hears a gap.
		pacer := audio.NewPacer(audio.PacerConfig{Tolerance: leadFrames * audio.FrameDuration})
		p := player{c: c, u: u, timing: timing, cacheable: cacheable, pacer: pacer}
		say := func(text string) { p.say(uctx, text) }
		if r != nil {
			c.sess.Speak(uctx, r, say)
		} else {
			say(filler)
		}
		if last && uctx.Err() == nil {
			c.mark(uctx, fmt.Sprintf("%d.end", u.id))
		}
		p.settle(uctx)
		u.late = p.pacer.Stats().Late
	}()
}
