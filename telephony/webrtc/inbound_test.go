package webrtc

import (
	"context"
	"encoding/binary"
	"slices"
	"sync"
	"testing"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// packet builds an RTP packet.
func packet(pt uint8, seq uint16, ts uint32, payload []byte) []byte {
	b := make([]byte, 12, 12+len(payload))
	b[0] = 0x80
	b[1] = pt
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], 0x1234)
	return append(b, payload...)
}

// padded sets the padding bit of p and appends a last byte n, the length
// of the padding it claims.
func padded(p []byte, n byte) []byte {
	p[0] |= 0x20
	return append(p, n)
}

// pcmu is n samples of μ-law at one level (k: a code whose level tells
// packets apart).
func pcmu(n int, code byte) []byte { return slices.Repeat([]byte{code}, n) }

// event is a telephone-event payload.
func event(key byte, end bool, dur uint16) []byte {
	p := []byte{key, 10, 0, 0}
	if end {
		p[1] |= 0x80
	}
	binary.BigEndian.PutUint16(p[2:], dur)
	return p
}

// sinkRec is a telephony.Inbound that records what it is fed.
type sinkRec struct {
	mu     sync.Mutex
	audio  audio.PCM16
	writes []int
	keys   []string
	marks  []string
}

func (s *sinkRec) WriteSample(p audio.PCM16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audio = append(s.audio, p...)
	s.writes = append(s.writes, len(p))
	return nil
}
func (s *sinkRec) SampleRate() int     { return telephony.Rate }
func (s *sinkRec) String() string      { return "rec(8000)" }
func (s *sinkRec) DTMF(d string)       { s.mu.Lock(); s.keys = append(s.keys, d); s.mu.Unlock() }
func (s *sinkRec) Marked(n string)     { s.mu.Lock(); s.marks = append(s.marks, n); s.mu.Unlock() }
func (s *sinkRec) Hangup()             {}
func (s *sinkRec) Run(context.Context) {}

// levels reads the recorded audio back as the μ-law code of each frame
// (its first sample), so that frames can be told apart.
func (s *sinkRec) levels() []byte {
	var out []byte
	for off := 0; off+frameLen <= len(s.audio); off += frameLen {
		v := s.audio[off]
		out = append(out, audio.EncodeUlaw(nil, audio.PCM16{v})[0])
	}
	return out
}

const silenceCode = 0xFF // μ-law of 0

// TestInbound: packets become whole frames in order; late and repeated
// ones are dropped; missing audio is silence up to a second; keys come
// once per event; what is not RTP, or not ours, is ignored.
func TestInbound(t *testing.T) {
	const ev = 101
	tests := []struct {
		name    string
		packets [][]byte
		frames  []byte   // the μ-law code of each frame the call got
		keys    []string // the keys the call got
	}{
		{"in order", [][]byte{packet(0, 1, 0, pcmu(160, 0x10)), packet(0, 2, 160, pcmu(160, 0x20))}, []byte{0x10, 0x20}, nil},
		{"40 ms packets", [][]byte{packet(0, 1, 0, pcmu(320, 0x10))}, []byte{0x10, 0x10}, nil},
		{"10 ms packets", [][]byte{packet(0, 1, 0, pcmu(80, 0x10)), packet(0, 2, 80, pcmu(80, 0x10)), packet(0, 3, 160, pcmu(80, 0x20))}, []byte{0x10}, nil},
		{"late and repeated dropped", [][]byte{
			packet(0, 10, 1600, pcmu(160, 0x10)), packet(0, 12, 1920, pcmu(160, 0x30)), packet(0, 11, 1760, pcmu(160, 0x20)), packet(0, 12, 1920, pcmu(160, 0x30)),
		}, []byte{0x10, silenceCode, 0x30}, nil},
		{"lost packets are silence", [][]byte{packet(0, 1, 0, pcmu(160, 0x10)), packet(0, 4, 480, pcmu(160, 0x40))}, []byte{0x10, silenceCode, silenceCode, 0x40}, nil},
		{"a long gap is a new start", [][]byte{packet(0, 1, 0, pcmu(160, 0x10)), packet(0, 2, 160+2*telephony.Rate, pcmu(160, 0x20))}, []byte{0x10, 0x20}, nil},
		{"sequence wraps", [][]byte{packet(0, 65535, 0, pcmu(160, 0x10)), packet(0, 0, 160, pcmu(160, 0x20))}, []byte{0x10, 0x20}, nil},
		{"keys once per event", [][]byte{
			packet(ev, 1, 800, event(5, false, 160)), packet(ev, 2, 800, event(5, false, 320)),
			packet(ev, 3, 800, event(5, true, 480)), packet(ev, 4, 800, event(5, true, 480)),
			packet(ev, 5, 1600, event(11, false, 160)), packet(ev, 6, 2400, event(10, true, 160)),
		}, nil, []string{"5", "#", "*"}},
		{"keys of A-D and short events ignored", [][]byte{packet(ev, 1, 0, event(12, false, 160)), packet(ev, 2, 160, []byte{1, 2})}, nil, nil},
		{"a key between audio leaves silence", [][]byte{
			packet(0, 1, 0, pcmu(160, 0x10)), packet(ev, 2, 160, event(1, false, 160)), packet(ev, 3, 160, event(1, true, 320)), packet(0, 4, 480, pcmu(160, 0x20)),
		}, []byte{0x10, silenceCode, silenceCode, 0x20}, []string{"1"}},
		{"other payload types ignored", [][]byte{packet(8, 1, 0, pcmu(160, 0x10)), packet(0, 2, 160, pcmu(160, 0x20))}, []byte{0x20}, nil},
		{"not RTP", [][]byte{{0x80, 0}, append([]byte{0x40}, packet(0, 1, 0, pcmu(160, 0x10))[1:]...)}, nil, nil},
		{"CSRCs, extension and padding skipped", [][]byte{func() []byte {
			b := packet(0, 1, 0, nil)
			b[0] = 0x80 | 0x20 | 0x10 | 1               // padding, extension, one CSRC
			b = append(b, 0, 0, 0, 1)                   // the CSRC
			b = append(b, 0xBE, 0xDE, 0, 1, 1, 2, 3, 4) // a one-word extension
			b = append(b, pcmu(160, 0x10)...)           // the payload
			return append(b, 0, 0, 3)                   // three bytes of padding
		}()}, []byte{0x10}, nil},
		{"padding longer than the packet", [][]byte{padded(packet(0, 1, 0, []byte{1, 2}), 200)}, nil, nil},
		{"extension cut short", [][]byte{func() []byte { b := packet(0, 1, 0, nil); b[0] |= 0x10; return append(b, 0xBE) }()}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInbound(0, ev)
			s := &sinkRec{}
			for _, p := range tt.packets {
				in.packet(p, s)
			}
			if got := s.levels(); !slices.Equal(got, tt.frames) {
				t.Errorf("frames % x; want % x", got, tt.frames)
			}
			if odd := slices.IndexFunc(s.writes, func(n int) bool { return n != frameLen }); odd >= 0 {
				t.Errorf("a write of %d samples; want 20 ms frames", s.writes[odd])
			}
			if !slices.Equal(s.keys, tt.keys) {
				t.Errorf("keys %q; want %q", s.keys, tt.keys)
			}
		})
	}
}

func BenchmarkInbound(b *testing.B) {
	in := newInbound(0, 101)
	s := &discard{}
	p := packet(0, 0, 0, pcmu(160, 0x10))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint16(p[2:], uint16(i))
		binary.BigEndian.PutUint32(p[4:], uint32(i*160))
		in.packet(p, s)
	}
}

// discard is an Inbound that takes audio and keeps nothing.
type discard struct{ sinkRec }

func (*discard) WriteSample(audio.PCM16) error { return nil }
