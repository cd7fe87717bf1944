package transporttest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// pipe is a transport in memory, the simplest that can be right: the
// caller's frames go straight to the call, and the agent's audio plays
// from a queue, a frame every 2 ms. A defect makes it wrong in one way.
type pipe struct {
	a      telephony.Answerer
	defect string // "drop" every fifth caller frame, mark "early", "noclear"
}

func (p *pipe) Dial(ctx context.Context) (Peer, error) {
	pe := &pipePeer{defect: p.defect, done: make(chan struct{}), tick: time.NewTicker(2 * time.Millisecond)}
	in, err := p.a.Answer(ctx, telephony.CallInfo{ID: "p1", Transport: "pipe"}, pe)
	if err != nil {
		return nil, err
	}
	pe.call = in
	pe.wg.Add(2)
	go func() {
		defer pe.wg.Done()
		in.Run(context.WithoutCancel(ctx))
	}()
	go pe.play()
	return pe, nil
}

// pipePeer is both ends: the Line the call writes to and the caller.
type pipePeer struct {
	defect string
	call   telephony.Inbound
	tick   *time.Ticker
	wg     sync.WaitGroup
	done   chan struct{}

	mu       sync.Mutex
	queue    []pipeItem // audio frames and marks, in order
	played   audio.PCM16
	ended    bool
	transfer string
	sent     int // caller frames sent
}

type pipeItem struct {
	pcm  audio.PCM16 // a frame, or nil for a mark
	mark string
}

func (p *pipePeer) WriteSample(pcm audio.PCM16) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for off := 0; off+frame <= len(pcm); off += frame {
		p.queue = append(p.queue, pipeItem{pcm: append(audio.PCM16(nil), pcm[off:off+frame]...)})
	}
	return nil
}

func (p *pipePeer) SampleRate() int { return telephony.Rate }
func (p *pipePeer) String() string  { return "pipe(8000)" }

func (p *pipePeer) Mark(name string) error {
	if p.defect == "early" {
		p.call.Marked(name)
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue = append(p.queue, pipeItem{mark: name})
	return nil
}

func (p *pipePeer) Clear() error {
	if p.defect == "noclear" {
		return nil
	}
	p.mu.Lock()
	var marks []string
	for _, it := range p.queue {
		if it.pcm == nil {
			marks = append(marks, it.mark)
		}
	}
	p.queue = nil
	p.mu.Unlock()
	for _, m := range marks {
		p.call.Marked(m)
	}
	return nil
}

func (p *pipePeer) End(number string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ended {
		p.ended, p.transfer = true, number
		p.call.Hangup() // the transport is gone
	}
	return nil
}

// play takes a frame, or the marks before the next, every tick.
func (p *pipePeer) play() {
	defer p.wg.Done()
	defer p.tick.Stop()
	for range p.tick.C {
		p.mu.Lock()
		if p.ended {
			p.mu.Unlock()
			go func() { p.wg.Wait(); close(p.done) }()
			return
		}
		var marks []string
		for len(p.queue) > 0 && p.queue[0].pcm == nil {
			marks = append(marks, p.queue[0].mark)
			p.queue = p.queue[1:]
		}
		if len(marks) == 0 && len(p.queue) > 0 {
			p.played = append(p.played, p.queue[0].pcm...)
			p.queue = p.queue[1:]
		}
		p.mu.Unlock()
		for _, m := range marks {
			p.call.Marked(m)
		}
	}
}

func (p *pipePeer) Say(pcm audio.PCM16) {
	for off := 0; off+frame <= len(pcm); off += frame {
		p.sent++
		if p.defect == "drop" && p.sent%5 == 0 {
			continue
		}
		_ = p.call.WriteSample(pcm[off : off+frame])
	}
}

func (p *pipePeer) Press(digit string) error { p.call.DTMF(digit); return nil }

func (p *pipePeer) Played() audio.PCM16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append(audio.PCM16(nil), p.played...)
}

func (p *pipePeer) Hangup() error         { p.call.Hangup(); return nil }
func (p *pipePeer) Done() <-chan struct{} { return p.done }

func (p *pipePeer) Transferred() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.transfer, nil
}

func newPipe(defect string) NewTransport {
	return func(_ *testing.T, a telephony.Answerer) Dialer { return &pipe{a: a, defect: defect} }
}

// TestPipe: a right transport passes.
func TestPipe(t *testing.T) { Run(t, newPipe("")) }

// TestSuiteCatches: a transport wrong in one way fails, saying how. Each
// runs in a process of its own, since its failure must not fail this
// test.
func TestSuiteCatches(t *testing.T) {
	if d := os.Getenv("TRANSPORTTEST_DEFECT"); d != "" {
		Run(t, newPipe(d))
		return
	}
	for _, tt := range []struct{ defect, want string }{
		{"drop", "caller frames arrived as levels"},
		{"early", "came back when the caller had heard"},
		{"noclear", "nothing was cleared"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteCatches$")
		cmd.Env = append(os.Environ(), "TRANSPORTTEST_DEFECT="+tt.defect)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("a transport with the defect %q: %v, want a failure saying %q:\n%s", tt.defect, err, tt.want, out)
		}
	}
}
