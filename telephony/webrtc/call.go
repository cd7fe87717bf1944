package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	pion "github.com/pion/webrtc/v4"

	"github.com/voiceagent/voiceagent/telephony"
)

// call is one browser call's connection: its PeerConnection, the line
// to the caller, and the call it is handed to once connected. A call
// that goes on over a new connection (an offer to resume it) has one of
// these per connection, all with its id.
type call struct {
	t     *Transport
	id    string
	info  telephony.CallInfo
	ctx   context.Context // the connection's
	stop  context.CancelFunc
	pc    *pion.PeerConnection
	track *track
	line  *line
	// runCtx is the answered call's (Inbound.Run's): HandOver cancels it
	// with telephony.ErrHandover, leaving the connection to say so.
	runCtx    context.Context
	runCancel context.CancelCauseFunc
	// pre is the call answered at the offer, before its connection: a
	// call that goes on (resume).
	pre telephony.Inbound

	wantControl bool                             // the offer has a data channel section
	control     atomic.Pointer[pion.DataChannel] // the page's "control" channel
	sink        atomic.Pointer[sink]             // the answered call, once it is
	reading     atomic.Bool                      // the caller's audio track is read

	connected, opened, gone             chan struct{}
	connectOnce, openOnce, goneOnce     sync.Once
	goneWhy                             string        // why the caller's side ended, set before gone is closed
	hungUp                              atomic.Bool   // the page said it hangs up: not a lost connection
	handing                             atomic.Bool   // HandOver was asked of this call
	ended                               chan struct{} // closed once the connection is over and its call has ended
	ctrlMsgs, badMsgs, packets, lateRTP atomic.Int64
}

// sink holds the answered call for the receive paths.
type sink struct{ call telephony.Inbound }

func newCall(t *Transport, o offer) *call {
	c := &call{
		t: t, id: newID(), track: &track{}, wantControl: o.control,
		connected: make(chan struct{}), opened: make(chan struct{}), gone: make(chan struct{}), ended: make(chan struct{}),
	}
	if o.resume != "" {
		c.id = o.resume
	}
	c.info = telephony.CallInfo{ID: c.id, Agent: o.agent, Transport: "webrtc", Resume: o.resume != ""}
	c.ctx, c.stop = context.WithCancel(t.ctx)
	c.runCtx, c.runCancel = context.WithCancelCause(c.ctx)
	c.line = newLine(c, t.cfg.PlayoutDelay)
	return c
}

// negotiate makes the call's PeerConnection and answers the offer, with
// every candidate gathered.
func (c *call) negotiate(ctx context.Context, o offer) (string, error) {
	pc, err := c.t.api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		return "", err
	}
	c.t.pcs.Add(1)
	c.pc = pc
	pc.OnConnectionStateChange(c.onState)
	pc.OnDataChannel(c.onDataChannel)
	pc.OnTrack(c.onTrack)
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: o.sdp}); err != nil {
		return "", errBadSDP
	}
	sender, err := pc.AddTrack(c.track)
	if err != nil {
		return "", fmt.Errorf("adding the agent's track: %w", err)
	}
	go func() { // RTCP is read and dropped: there are no interceptors to feed
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("creating the answer: %w", err)
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("setting the answer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("gathering candidates: %w", ctx.Err())
	}
	local := pc.LocalDescription()
	if local == nil || !strings.Contains(strings.ToUpper(local.SDP), "PCMU/8000") {
		return "", errNoCodec
	}
	return local.SDP, nil
}

// resume answers the call an offer goes on with, before its connection
// is made: an older connection of it on this transport is taken as lost
// and waited for (a page offers again only once it has left it), then
// the Answerer takes the call over. Its refusal is a *Refusal of its
// own, else a 409.
func (c *call) resume() error {
	for _, old := range c.t.older(c) {
		old.leave("replaced by a new connection")
		select {
		case <-old.ended:
		case <-time.After(replaceWait):
			c.t.warn.Warn("webrtc: an older connection of a resumed call is still ending", "call", c.id)
		}
	}
	in, err := c.t.answer.Answer(c.ctx, c.info, c.line)
	if err != nil {
		c.t.warn.Warn("webrtc call not resumed", "call", c.id, "err", err)
		var ref *Refusal
		if errors.As(err, &ref) {
			return ref
		}
		return errEndedCall
	}
	c.pre = in
	return nil
}

// replaceWait bounds the wait for an older connection of a resumed call
// to end (its call saved as it stood).
const replaceWait = 3 * time.Second

// abandon frees an offer that was refused after its place was taken; a
// call answered for it ends as a lost connection.
func (c *call) abandon() {
	c.stop()
	if c.pc != nil {
		_ = c.pc.Close()
	}
	if c.pre != nil {
		c.discard(c.pre)
	}
	c.t.release(c)
	close(c.ended)
	c.t.wg.Done()
}

// discard ends a call answered for a connection that never carried it:
// lost, before it ran, so that it may go on over another.
func (c *call) discard(call telephony.Inbound) {
	if l, ok := call.(interface{ Lost() }); ok {
		l.Lost()
	}
	call.Hangup()
	call.Run(c.runCtx)
}

// handOver asks the answered call to end at its next quiet moment, to go
// on elsewhere; a call not answered yet is asked once it is.
func (c *call) handOver() {
	c.handing.Store(true)
	if s := c.sink.Load(); s != nil {
		if h, ok := s.call.(interface{ HandOver() }); ok {
			h.HandOver()
		}
	}
}

func (c *call) onState(s pion.PeerConnectionState) {
	switch s {
	case pion.PeerConnectionStateConnected:
		c.connectOnce.Do(func() { close(c.connected) })
	case pion.PeerConnectionStateFailed:
		c.leave("media lost")
	case pion.PeerConnectionStateClosed:
		c.leave("closed")
	}
}

// leave records that the caller's side has ended, once.
func (c *call) leave(why string) {
	c.goneOnce.Do(func() {
		c.goneWhy = why
		close(c.gone)
	})
}

// onDataChannel takes the page's "control" channel; any other is closed.
func (c *call) onDataChannel(dc *pion.DataChannel) {
	if dc.Label() != "control" || !c.control.CompareAndSwap(nil, dc) {
		_ = dc.Close()
		return
	}
	dc.OnOpen(func() { c.openOnce.Do(func() { close(c.opened) }) })
	dc.OnMessage(func(m pion.DataChannelMessage) { c.onControl(m.Data) })
	// A page that closes its control channel without saying it hangs up
	// has lost its call (reloaded, crashed): it may come back to it.
	dc.OnClose(func() { c.leave("control channel closed") })
}

func (c *call) controlOpen() bool {
	dc := c.control.Load()
	return dc != nil && dc.ReadyState() == pion.DataChannelStateOpen
}

// controlMsg is a message of the control channel, either way.
type controlMsg struct {
	Type   string  `json:"type"`
	Digit  string  `json:"digit,omitempty"`
	ID     int64   `json:"id,omitempty"`
	TS     *uint32 `json:"ts,omitempty"`
	Number string  `json:"number,omitempty"`
	Text   string  `json:"text,omitempty"`
}

// maxControl bounds a control message: a few dozen bytes, or a typed
// turn.
const maxControl = 4096

// onControl takes a message from the page: a key, words typed (or
// recognised by the browser) for a call that takes text (a
// telephony.Typist), a hang-up, or the echo of a mark it has played.
// Anything else is counted and dropped.
func (c *call) onControl(data []byte) {
	c.ctrlMsgs.Add(1)
	var m controlMsg
	if len(data) > maxControl || json.Unmarshal(data, &m) != nil {
		c.badMsgs.Add(1)
		return
	}
	switch m.Type {
	case "dtmf":
		s := c.sink.Load()
		if len(m.Digit) != 1 || !strings.Contains(events, m.Digit) {
			c.badMsgs.Add(1)
		} else if s != nil {
			s.call.DTMF(m.Digit)
		}
	case "text":
		if strings.TrimSpace(m.Text) == "" || !utf8.ValidString(m.Text) {
			c.badMsgs.Add(1)
			break
		}
		if s := c.sink.Load(); s != nil {
			if typist, ok := s.call.(telephony.Typist); ok {
				typist.Typed(m.Text)
			}
		}
	case "hangup":
		c.hungUp.Store(true)
		c.leave("hung up")
	case "mark":
		c.line.echoed(m.ID)
	default:
		c.badMsgs.Add(1)
	}
}

// send writes a control message to the page, when its channel is open.
func (c *call) send(m controlMsg) {
	dc := c.control.Load()
	if dc == nil || dc.ReadyState() != pion.DataChannelStateOpen {
		return
	}
	b, _ := json.Marshal(m)
	if err := dc.SendText(string(b)); err != nil {
		c.t.log.Debug("webrtc: control message", "call", c.id, "err", err)
	}
}

// askMark asks the page to echo mark m once it has played its audio.
func (c *call) askMark(m markMsg) { c.send(controlMsg{Type: "mark", ID: m.id, TS: &m.ts}) }

// marked tells the call that the caller has heard up to the mark name.
func (c *call) marked(name string) {
	if s := c.sink.Load(); s != nil {
		s.call.Marked(name)
	}
}

// onTrack reads the caller's audio track, the first one, until the
// PeerConnection closes: every packet into the receive path, which hands
// the answered call whole frames (before the answer, packets are
// dropped).
func (c *call) onTrack(tr *pion.TrackRemote, rec *pion.RTPReceiver) {
	if tr.Kind() != pion.RTPCodecTypeAudio || !c.reading.CompareAndSwap(false, true) {
		return
	}
	var pcmu, event, opus uint8 = ptPCMU, 0, 0
	for _, codec := range rec.GetParameters().Codecs {
		switch {
		case strings.EqualFold(codec.MimeType, pion.MimeTypePCMU):
			pcmu = uint8(codec.PayloadType)
		case strings.EqualFold(codec.MimeType, pion.MimeTypeOpus):
			opus = uint8(codec.PayloadType)
		case strings.EqualFold(codec.MimeType, mimeEvent) && codec.ClockRate == 8000:
			event = uint8(codec.PayloadType)
		}
	}
	in := newInbound(pcmu, event)
	in.opus = opus
	buf := make([]byte, 1500)
	for {
		n, _, err := tr.Read(buf)
		if err != nil && !errors.Is(err, pion.ErrCodecNotFound) && !errors.Is(err, io.ErrShortBuffer) { // a packet of an unknown payload type, or too long, is skipped
			break
		}
		if s := c.sink.Load(); s != nil && err == nil {
			in.packet(buf[:n], s.call)
		}
	}
	c.packets.Store(int64(in.packets))
	c.lateRTP.Store(int64(in.late))
}

// run waits for the call to connect, hands it to the Answerer, and runs
// it until it ends; then it closes the PeerConnection and gives up the
// call's place.
func (c *call) run() {
	defer c.t.wg.Done()
	defer close(c.ended)
	why := c.serve()
	c.t.release(c) // before the close, so that a caller who calls again finds the place free
	c.stop()
	_ = c.pc.Close()
	c.t.log.Debug("webrtc call ended", "call", c.id, "why", why,
		"packets", c.packets.Load(), "late", c.lateRTP.Load(), "control", c.ctrlMsgs.Load(), "bad", c.badMsgs.Load())
}

// serve is the call from its connection to its end; it says how it
// ended.
func (c *call) serve() string {
	timeout := time.NewTimer(c.t.cfg.ConnectTimeout)
	defer timeout.Stop()
	wait := func(ch <-chan struct{}) string {
		select {
		case <-ch:
			return ""
		case <-c.gone:
			return c.goneWhy
		case <-c.runCtx.Done():
			return "stopped"
		case <-timeout.C:
			c.t.warn.Warn("webrtc call never connected", "call", c.id)
			return "never connected"
		}
	}
	why := wait(c.connected)
	if why == "" && c.wantControl {
		why = wait(c.opened)
	}
	if why != "" {
		if c.pre != nil {
			c.discard(c.pre) // answered, and lost before it was connected
		}
		return why
	}
	call := c.pre
	if call == nil {
		var err error
		if call, err = c.t.answer.Answer(c.runCtx, c.info, c.line); err != nil {
			c.t.warn.Warn("webrtc call refused", "call", c.id, "err", err)
			c.send(controlMsg{Type: "hangup"})
			return "refused"
		}
	}
	c.sink.Store(&sink{call: call})
	if c.handing.Load() || c.t.handingOver() {
		c.handOver() // HandOver came while the call was being answered
	}
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		call.Run(c.runCtx)
	}()
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		if end, ended := c.line.send(c.ctx, c.gone); ended {
			c.goodbye(end)
		}
	}()
	why = "agent ended"
	select {
	case <-c.gone:
		why = "caller: " + c.goneWhy
		if !c.hungUp.Load() {
			// The media failed, or the connection or the control channel
			// closed, without a hang-up: the page may come back to the
			// call, here or on another instance.
			why = "lost: " + c.goneWhy
			if l, ok := call.(interface{ Lost() }); ok {
				l.Lost()
			}
		}
		call.Hangup()
	case <-ran:
	}
	<-ran          // Run has ended the line
	c.line.End("") // for an Answerer that did not: the sender then stops
	<-sent
	return why
}

// goodbye tells the page the call is over — hang up, or the number it
// is transferred to (a browser cannot be, but its page can show it) —
// or, for a call handed over, that it goes on over a new connection
// (reconnect), and the timestamp of the last frame sent, which it plays
// before it closes; and waits a little for it to close its side, so that
// the message is not lost to the close.
func (c *call) goodbye(end ending) {
	m := controlMsg{Type: "hangup", TS: end.last}
	switch {
	case end.outcome == telephony.OutcomeHandover:
		m.Type = "reconnect"
	case end.number != "":
		m.Type, m.Number = "transfer", end.number
	}
	c.send(m)
	wait := time.NewTimer(c.t.cfg.PlayoutDelay + time.Second)
	defer wait.Stop()
	select {
	case <-c.gone:
	case <-wait.C:
	case <-c.ctx.Done():
	}
}
