package webrtc

import (
	"strings"
	"sync"

	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"
)

// track is the agent's audio as a pion TrackLocal that writes RTP
// packets as they are: the Line keeps the timestamps, sequence numbers
// and marker bits itself (talkspurts, silence), which pion's
// TrackLocalStaticSample would not, and nothing is allocated per packet.
type track struct {
	mu   sync.Mutex
	w    pion.TrackLocalWriter // nil until bound (the call connected)
	ssrc uint32
	pt   uint8
	h    rtp.Header // reused: only the sender writes
}

// Bind takes PCMU, the only codec the transport answers with.
func (t *track) Bind(ctx pion.TrackLocalContext) (pion.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, pion.MimeTypePCMU) {
			t.mu.Lock()
			t.w, t.ssrc, t.pt = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(c.PayloadType)
			t.mu.Unlock()
			return c, nil
		}
	}
	return pion.RTPCodecParameters{}, pion.ErrUnsupportedCodec
}

func (t *track) Unbind(pion.TrackLocalContext) error {
	t.mu.Lock()
	t.w = nil
	t.mu.Unlock()
	return nil
}

func (t *track) ID() string              { return "agent" }
func (t *track) RID() string             { return "" }
func (t *track) StreamID() string        { return "voiceagent" }
func (t *track) Kind() pion.RTPCodecType { return pion.RTPCodecTypeAudio }

// write sends one frame; before the track is bound it is dropped.
func (t *track) write(f *frameOut) error {
	t.mu.Lock()
	w := t.w
	t.h = rtp.Header{Version: 2, Marker: f.marker, PayloadType: t.pt, SequenceNumber: f.seq, Timestamp: f.ts, SSRC: t.ssrc}
	t.mu.Unlock()
	if w == nil {
		return nil
	}
	_, err := w.WriteRTP(&t.h, f.ulaw[:])
	return err
}
