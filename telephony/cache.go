package telephony

import (
	"context"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// cache keeps synthesised sentences, at Rate: greetings, warmed at
// start-up, and every sentence another call has had synthesised before
// (an agent's questions and set phrases, which every call hears), so that
// they play at once and are not synthesised again. It holds at most
// maxSamples of audio, letting the oldest go. A sentence only one call
// has said (a read-back of its caller's details, even said twice) is
// remembered only as a hash, with that call's id, and never kept.
//
// A sentence to keep is synthesised once however many calls ask for it
// at the same moment (a burst of calls hearing the same question): the
// first to ask starts its synthesis on its own (a fill), and every call
// asking before it ends plays it as it comes.
type cache struct {
	mu         sync.Mutex
	items      map[string][]int16
	order      []string // the keys, oldest first
	size       int      // samples held
	maxSamples int
	seen       map[uint64]string // hashes of sentences synthesised and not kept: the call that said it
	fills      map[string]*fill  // sentences to keep being synthesised
}

// fill is a sentence being synthesised for the cache, which the calls
// that asked for it play as it grows.
type fill struct {
	mu   sync.Mutex
	pcm  []int16 // whole frames; only ever appended to
	done bool
	err  error
	more chan struct{} // closed, and replaced, when pcm grows or the fill ends
}

// add appends frames and wakes the players.
func (f *fill) add(frame []int16) {
	f.mu.Lock()
	f.pcm = append(f.pcm, frame...)
	close(f.more)
	f.more = make(chan struct{})
	f.mu.Unlock()
}

// end ends the fill with err (nil: the sentence is whole).
func (f *fill) end(err error) {
	f.mu.Lock()
	f.done, f.err = true, err
	close(f.more)
	f.mu.Unlock()
}

// state returns what has been synthesised so far, whether that is all
// (and why not), and a channel closed when there is more to say.
// Samples of pcm are never changed once added: pcm may be read without
// the lock.
func (f *fill) state() (pcm []int16, done bool, err error, more <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pcm, f.done, f.err, f.more
}

// Bounds of the cache: 8 MiB of audio (about 9 minutes) in all, 20 s
// in one sentence, and 4096 sentences remembered as said once.
const (
	cacheSamples    = 4 << 20
	cacheOneSamples = 20 * Rate
	cacheSeen       = 4096
)

var cacheSeed = maphash.MakeSeed()

func newCache(maxSamples int) *cache {
	return &cache{maxSamples: maxSamples, items: map[string][]int16{}, seen: map[uint64]string{}, fills: map[string]*fill{}}
}

func cacheKey(agent, lang string, tts speech.TTS, text string) string {
	return agent + "\x00" + lang + "\x00" + tts.String() + "\x00" + text
}

// lookup finds how call is to say the sentence of key: kept (pcm), being
// synthesised for the cache (f; start: call is the first to ask, and
// starts the fill), or neither (synthesise it alone).
func (c *cache) lookup(key, call string, always bool) (pcm []int16, f *fill, start bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pcm, ok := c.items[key]; ok {
		return pcm, nil, false
	}
	if f, ok := c.fills[key]; ok {
		return nil, f, false
	}
	if !c.wantedLocked(key, call, always) {
		return nil, nil, false
	}
	f = &fill{more: make(chan struct{})}
	c.fills[key] = f
	return nil, f, true
}

// filled ends the fill of key: kept when whole.
func (c *cache) filled(key string, f *fill, err error) {
	if err == nil && len(f.pcm) > 0 {
		c.put(key, slices.Clone(f.pcm)) // kept at its length, not the capacity it grew to
	}
	c.mu.Lock()
	delete(c.fills, key)
	c.mu.Unlock()
	f.end(err)
}

// wantedLocked reports whether a sentence call is about to have
// synthesised should be kept: always, or when another call had it
// synthesised before. It remembers that call did.
func (c *cache) wantedLocked(key, call string, always bool) bool {
	h := maphash.String(cacheSeed, key)
	if by, ok := c.seen[h]; always || ok && by != call {
		delete(c.seen, h)
		return true
	}
	if len(c.seen) >= cacheSeen {
		clear(c.seen)
	}
	c.seen[h] = call
	return false
}

func (c *cache) put(key string, pcm []int16) {
	if len(pcm) > cacheOneSamples {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return // two calls synthesised it at once
	}
	for c.size+len(pcm) > c.maxSamples && len(c.order) > 0 {
		old := c.order[0]
		c.order[0] = ""
		c.order = c.order[1:]
		c.size -= len(c.items[old])
		delete(c.items, old)
	}
	c.items[key] = pcm
	c.order = append(c.order, key)
	c.size += len(pcm)
}

// Warm synthesises an agent's greeting ahead of its first call, so that
// every call's first words start within a frame.
func (rt *Runtime) Warm(ctx context.Context, agent, lang string, tts speech.TTS, greeting string) error {
	var b speakBuffers
	var pcm []int16
	err := synthesize(ctx, tts, greeting, lang, &b, func(time.Duration) {}, func(f audio.PCM16) error {
		pcm = append(pcm, f...)
		return nil
	}, nil)
	if err != nil {
		return err
	}
	rt.cache.put(cacheKey(agent, lang, tts, strings.TrimSpace(greeting)), pcm)
	return nil
}
