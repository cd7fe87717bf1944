package telephony

import (
	"context"
	"hash/maphash"
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
type cache struct {
	mu         sync.Mutex
	items      map[string][]int16
	order      []string // the keys, oldest first
	size       int      // samples held
	maxSamples int
	seen       map[uint64]string // hashes of sentences synthesised and not kept: the call that said it
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
	return &cache{maxSamples: maxSamples, items: map[string][]int16{}, seen: map[uint64]string{}}
}

func cacheKey(agent, lang string, tts speech.TTS, text string) string {
	return agent + "\x00" + lang + "\x00" + tts.String() + "\x00" + text
}

func (c *cache) get(key string) ([]int16, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pcm, ok := c.items[key]
	return pcm, ok
}

// wanted reports whether a sentence call is about to have synthesised
// should be kept: always, or when another call had it synthesised
// before. It remembers that call did.
func (c *cache) wanted(key, call string, always bool) bool {
	h := maphash.String(cacheSeed, key)
	c.mu.Lock()
	defer c.mu.Unlock()
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
