//go:build !race

package twiliotest

import (
	"testing"
	"time"
)

// TestAllocsPerFrame pins a frame's work at zero allocations of ours:
// building the caller's media message, parsing the server's, buffering and
// playing it. (gorilla's client writer allocates one small struct per
// message, outside this.)
func TestAllocsPerFrame(t *testing.T) {
	const sid = "MZ18ad3ab5a668481ce02b83e7395059f0"
	c := &Client{streamSid: sid, sidKey: []byte(`"streamSid":"` + sid + `"`), keep: 8000, maxLog: 100,
		pcm: make([]int16, 0, frameSize)}
	frame := Sine(440, 20*time.Millisecond)
	ulaw := make([]byte, 0, frameSize)
	for _, s := range frame {
		ulaw = append(ulaw, byte(s>>8))
	}
	msg := appendServerMedia(sid, ulaw)
	out := make([]byte, 0, 512)
	scratch := make([]byte, 0, 1024)
	now := time.Now()
	var seq int64
	for name, f := range map[string]func(){
		"appendInbound": func() { seq++; out = appendInbound(out[:0], seq, sid, seq, 20*seq, ulaw) },
		"parseServer": func() {
			m, err := parseServer(scratch[:0], msg, c.sidKey, sid)
			if err != nil || m.kind != msgMedia {
				t.Fatal(m, err)
			}
			scratch = m.audio
		},
		"receive+play": func() {
			m, _ := parseServer(scratch[:0], msg, c.sidKey, sid)
			scratch = m.audio
			c.receive(m, now)
			c.mu.Lock()
			c.play(now)
			c.mu.Unlock()
		},
	} {
		f() // warm up: buffers grow to size
		f()
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %.1f allocations per frame", name, n)
		}
	}
}
