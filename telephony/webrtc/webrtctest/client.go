// Package webrtctest is a browser caller without a browser, for tests
// and load: a pion PeerConnection that places a call the way a page does
// (an offer with every candidate to POST /webrtc/offer, the "control"
// data channel), says PCM16 8 kHz audio in real time as PCMU, hears and
// decodes the agent's audio, echoes marks once it has heard their audio,
// presses keys (control messages, or RFC 4733 telephone-events), hangs
// up, can lose its network without a word (Cut), and goes on with its
// call over a new connection, as a page does after a lost connection or
// when told to reconnect (Reconnect).
//
// It speaks only the transport's wire protocol and the audio leaf, as a
// page would, so it can serve a load generator; it satisfies
// telephony/transporttest's Peer.
package webrtctest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/voiceagent/voiceagent/telephony/audio"
)

// Rate is the rate of the audio said and heard: PCMU's 8 kHz.
const Rate = 8000

const frame = Rate / 50 // 20 ms

// Config configures a call.
type Config struct {
	// URL is the server's address, like http://127.0.0.1:8080; the offer
	// goes to URL + "/webrtc/offer".
	URL string
	// Agent is the agent called; "" for the default.
	Agent string
	// Header is sent with the offer: an Origin, an Authorization.
	Header http.Header
	// Token goes in the offer's body, as a page sends its embed token.
	Token string
	// Resume, when set, is the id of a call to go on with (its
	// connection lost, or handed over): the offer says so, and Token must
	// be that call's token (Client.Token). Reconnect sets both.
	Resume string
	// HTTPClient sends the offer; nil means a client of its own.
	HTTPClient *http.Client
	// IP is the local address of the caller's media; "" means 127.0.0.1.
	IP string
	// Codecs are the audio codecs offered, in order of preference:
	// "PCMU", "opus"; none means PCMU alone. Telephone-events are offered
	// with them.
	Codecs []string
	// NoControl offers no data channel: no control messages either way.
	NoControl bool
	// NoEcho leaves the server's marks unanswered, as a page that does
	// not echo them.
	NoEcho bool
	// KeysAsRTP sends keys as RFC 4733 telephone-events in the audio
	// stream instead of control messages.
	KeysAsRTP bool
	// Quiet sends nothing while there is nothing to say; by default the
	// caller sends silence, as a microphone does.
	Quiet bool
	// OnSend, if set, is called as each 20 ms packet of the caller's
	// audio goes out, from the sending goroutine: at is when, said the
	// samples of what Say queued it carried (0: silence), left those
	// still queued. It must not block. A load generator times its lines
	// with it.
	OnSend func(at time.Time, said, left int)
	// OnHeard, if set, is called as each packet of the agent's audio
	// arrives, from pion's goroutine, with the time. It must not block.
	OnHeard func(at time.Time)
}

// Refused is the server's refusal of an offer.
type Refused struct {
	Status  int
	Message string
}

func (e *Refused) Error() string { return fmt.Sprintf("refused: %d %s", e.Status, e.Message) }

// Client is the caller's end of one call.
type Client struct {
	cfg    Config
	pc     *webrtc.PeerConnection
	conn   *cuttable
	track  *track
	dc     *webrtc.DataChannel // nil with NoControl
	id     string
	token  string // the answer's
	codec  []string
	answer string

	say     chan audio.PCM16
	keys    chan byte
	stop    chan struct{}
	stopped sync.WaitGroup
	close   sync.Once

	mu          sync.Mutex
	queued      audio.PCM16 // said and not sent yet
	played      audio.PCM16
	heardTS     uint32
	heardAny    bool
	pending     []mark // marks waiting for their audio
	transferred string
	reconnect   bool // the server asked the caller to offer again
	ended       bool

	done     chan struct{}
	doneOnce sync.Once
	echoed   atomic.Int64
	sent     atomic.Int64
	received atomic.Int64
}

type mark struct {
	id int64
	ts uint32
}

// control is a message of the control channel, either way.
type control struct {
	Type   string  `json:"type"`
	Digit  string  `json:"digit,omitempty"`
	ID     int64   `json:"id,omitempty"`
	TS     *uint32 `json:"ts,omitempty"`
	Number string  `json:"number,omitempty"`
}

// Dial places a call: it offers, reads the answer, and returns once the
// media is connected and the control channel open. A refusal is a
// *Refused.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.IP == "" {
		cfg.IP = "127.0.0.1"
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = []string{"PCMU"}
	}
	api, conn, err := newAPI(cfg)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	c := &Client{
		cfg: cfg, pc: pc, conn: conn, track: &track{},
		say: make(chan audio.PCM16, 64), keys: make(chan byte, 16), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if err := c.offer(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// newAPI makes the caller's pion API: the codecs of cfg, loopback (or
// cfg.IP) host candidates on a socket that Cut can silence, no mDNS.
func newAPI(cfg Config) (*webrtc.API, *cuttable, error) {
	me := &webrtc.MediaEngine{}
	for _, name := range cfg.Codecs {
		var p webrtc.RTPCodecParameters
		switch strings.ToLower(name) {
		case "pcmu":
			p = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0}
		case "opus":
			p = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111}
		default:
			return nil, nil, fmt.Errorf("webrtctest: codec %q: only PCMU and opus", name)
		}
		if err := me.RegisterCodec(p, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, nil, err
		}
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeEvent, ClockRate: 8000, SDPFmtpLine: "0-15"}, PayloadType: 126,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, nil, err
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(cfg.IP)})
	if err != nil {
		return nil, nil, err
	}
	conn := &cuttable{PacketConn: udp}
	var se webrtc.SettingEngine
	se.LoggerFactory = quiet
	se.SetICEUDPMux(webrtc.NewICEUDPMux(quiet.NewLogger("ice"), conn))
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se), webrtc.WithInterceptorRegistry(&interceptor.Registry{})), conn, nil
}

const mimeEvent = "audio/telephone-event"

func (c *Client) offer(ctx context.Context) error {
	connected := make(chan struct{})
	var connectedOnce sync.Once
	c.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			connectedOnce.Do(func() { close(connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			c.end()
		}
	})
	c.pc.OnTrack(c.hear)
	if _, err := c.pc.AddTransceiverFromTrack(c.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		return err
	}
	opened := make(chan struct{})
	if !c.cfg.NoControl {
		dc, err := c.pc.CreateDataChannel("control", nil)
		if err != nil {
			return err
		}
		c.dc = dc
		dc.OnOpen(func() { close(opened) })
		dc.OnMessage(func(m webrtc.DataChannelMessage) { c.onControl(m.Data) })
		dc.OnClose(c.end)
	} else {
		close(opened)
	}
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	}
	answer, err := c.post(ctx, c.pc.LocalDescription().SDP)
	if err != nil {
		return err
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return err
	}
	c.codec, c.answer = audioCodecs(answer), answer
	for _, ch := range []chan struct{}{connected, opened} {
		select {
		case <-ch:
		case <-c.done:
			return errors.New("webrtctest: the call ended before it connected")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.stopped.Add(1)
	go c.speak()
	return nil
}

// post sends the offer and returns the answer's SDP.
func (c *Client) post(ctx context.Context, offer string) (string, error) {
	fields := map[string]string{"agent": c.cfg.Agent, "sdp": offer}
	if c.cfg.Token != "" {
		fields["token"] = c.cfg.Token
	}
	if c.cfg.Resume != "" {
		fields["resume"] = c.cfg.Resume
	}
	body, _ := json.Marshal(fields)
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(c.cfg.URL, "/")+"/webrtc/offer", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	for k, v := range c.cfg.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		return "", &Refused{Status: resp.StatusCode, Message: e.Error}
	}
	var a struct {
		Call  string `json:"call"`
		SDP   string `json:"sdp"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &a); err != nil || a.SDP == "" || a.Call == "" {
		return "", fmt.Errorf("webrtctest: the answer is not {call, sdp}: %.200s", b)
	}
	c.id, c.token = a.Call, a.Token
	return a.SDP, nil
}

// audioCodecs are the codecs of the answer's audio section, as
// "PCMU/8000", in its order.
func audioCodecs(answer string) []string {
	var d sdp.SessionDescription
	if d.UnmarshalString(answer) != nil {
		return nil
	}
	var out []string
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "audio" {
			continue
		}
		for _, a := range m.Attributes {
			if a.Key == "rtpmap" {
				if _, codec, ok := strings.Cut(a.Value, " "); ok {
					out = append(out, codec)
				}
			}
		}
	}
	return out
}

// CallID is the call's id, as the server answered it.
func (c *Client) CallID() string { return c.id }

// Token is the credential for the call the server answered with, if any.
func (c *Client) Token() string { return c.token }

// Codecs are the audio codecs the server answered with.
func (c *Client) Codecs() []string { return c.codec }

// Answer is the server's answer, as it came.
func (c *Client) Answer() string { return c.answer }

// Reconnect goes on with the call over a new connection, as a page does
// once its connection is lost or the server asks it to reconnect: it
// closes this client (without a hang-up) and dials again with the same
// configuration, the call's id as Resume and its token, to url ("" for
// the same server; another instance that shares the calls). It returns
// the new client; a refusal is a *Refused.
func (c *Client) Reconnect(ctx context.Context, url string) (*Client, error) {
	if c.id == "" {
		return nil, errors.New("webrtctest: no call to reconnect to")
	}
	cfg := c.cfg
	cfg.Resume, cfg.Token = c.id, c.token
	if url != "" {
		cfg.URL = url
	}
	c.Close()
	return Dial(ctx, cfg)
}

// Reconnecting says whether the server asked the caller to reconnect
// ({"type":"reconnect"}: the call was handed over); the client has then
// closed its side, and Reconnect goes on with the call.
func (c *Client) Reconnecting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reconnect
}

// CloseControl closes the control channel alone, as a page may.
func (c *Client) CloseControl() error {
	if c.dc == nil {
		return errors.New("webrtctest: no control channel")
	}
	return c.dc.Close()
}

// Say queues the caller's audio, PCM16 at 8 kHz, sent in real time after
// what was queued before.
func (c *Client) Say(pcm audio.PCM16) {
	c.mu.Lock()
	c.queued = append(c.queued, pcm...)
	c.mu.Unlock()
}

// Press sends a key: 0-9, * or #, as a control message or, with
// KeysAsRTP, as a telephone-event.
func (c *Client) Press(digit string) error {
	if c.Ended() {
		return errors.New("webrtctest: the call has ended")
	}
	if c.cfg.KeysAsRTP {
		k := strings.Index("0123456789*#", digit)
		if len(digit) != 1 || k < 0 {
			return fmt.Errorf("webrtctest: %q is not a key", digit)
		}
		c.keys <- byte(k)
		return nil
	}
	return c.Send(control{Type: "dtmf", Digit: digit})
}

// Send sends a control message as it is (tests send bad ones too).
func (c *Client) Send(m any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.SendRaw(b)
}

// SendRaw sends bytes on the control channel.
func (c *Client) SendRaw(b []byte) error {
	if c.dc == nil {
		return errors.New("webrtctest: no control channel")
	}
	return c.dc.SendText(string(b))
}

// Played is the agent's audio heard so far, PCM16 at 8 kHz.
func (c *Client) Played() audio.PCM16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(audio.PCM16(nil), c.played...)
}

// Hangup ends the call from the caller's side: a hang-up message, then,
// once the server has closed its side or after a second (a close at
// once could lose the message, and the server would take the call as
// lost), the PeerConnection closed. It fails once the call has ended.
func (c *Client) Hangup() error {
	c.mu.Lock()
	ended := c.ended
	c.ended = true
	c.mu.Unlock()
	if ended {
		return errors.New("webrtctest: the call has ended")
	}
	if c.dc != nil && c.Send(control{Type: "hangup"}) == nil {
		for until := time.Now().Add(500 * time.Millisecond); c.dc.BufferedAmount() > 0 && time.Now().Before(until); {
			time.Sleep(5 * time.Millisecond)
		}
		select { // the server ends the call, and closes
		case <-c.done:
		case <-time.After(time.Second):
		}
	}
	err := c.pc.Close()
	c.end()
	return err
}

// Cut loses the caller's network: from now on no packet goes either way,
// and nothing is said. The server notices only by the silence.
func (c *Client) Cut() { c.conn.cut.Store(true) }

// Done is closed once the call has ended, whichever side ended it.
func (c *Client) Done() <-chan struct{} { return c.done }

// Ended reports whether the call has ended.
func (c *Client) Ended() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Transferred is, after Done, the number the agent transferred the call
// to, or "" when it was hung up.
func (c *Client) Transferred() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transferred, nil
}

// Stats counts the call's packets and echoed marks.
type Stats struct{ Sent, Received, Echoed int64 }

func (c *Client) Stats() Stats {
	return Stats{Sent: c.sent.Load(), Received: c.received.Load(), Echoed: c.echoed.Load()}
}

// Close ends the call if it has not ended and releases everything; it
// waits for the client's goroutines.
func (c *Client) Close() {
	c.close.Do(func() {
		close(c.stop)
		_ = c.pc.Close()
		c.end()
		c.stopped.Wait()
		_ = c.conn.Close()
	})
}

func (c *Client) end() {
	c.doneOnce.Do(func() {
		c.mu.Lock()
		c.ended = true
		c.mu.Unlock()
		close(c.done)
	})
}

// onControl takes the server's messages: marks to echo once heard, and
// the end of the call, or of its connection (then the caller closes its
// side, as a page does).
func (c *Client) onControl(data []byte) {
	var m control
	if json.Unmarshal(data, &m) != nil {
		return
	}
	switch m.Type {
	case "mark":
		if c.cfg.NoEcho || m.TS == nil {
			return
		}
		c.mu.Lock()
		heard := c.heard(*m.TS)
		if !heard {
			c.pending = append(c.pending, mark{id: m.ID, ts: *m.TS})
		}
		c.mu.Unlock()
		if heard {
			c.echo(m.ID)
		}
	case "hangup", "transfer", "reconnect":
		c.mu.Lock()
		c.transferred = m.Number
		c.reconnect = m.Type == "reconnect"
		c.mu.Unlock()
		go func() { // not on pion's goroutine, which Close waits for
			// The agent's last words are heard before the caller closes,
			// within a second.
			for deadline := time.Now().Add(time.Second); m.TS != nil && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				c.mu.Lock()
				heard := c.heard(*m.TS)
				c.mu.Unlock()
				if heard {
					break
				}
			}
			_ = c.pc.Close()
			c.end()
		}()
	}
}

// heard reports whether the frame of timestamp ts has been heard; c.mu is
// held.
func (c *Client) heard(ts uint32) bool { return c.heardAny && int32(c.heardTS-ts) >= 0 }

func (c *Client) echo(id int64) {
	c.echoed.Add(1)
	_ = c.Send(control{Type: "mark", ID: id})
}

// hear reads the agent's audio: PCMU decoded into Played, and the marks
// whose audio has come echoed.
func (c *Client) hear(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			if errors.Is(err, webrtc.ErrCodecNotFound) {
				continue
			}
			return
		}
		if p.Unmarshal(buf[:n]) != nil || p.PayloadType != 0 {
			continue
		}
		c.received.Add(1)
		if c.cfg.OnHeard != nil {
			c.cfg.OnHeard(time.Now())
		}
		var echo []int64
		c.mu.Lock()
		c.played = audio.DecodeUlaw(c.played, p.Payload)
		if !c.heardAny || int32(p.Timestamp-c.heardTS) > 0 {
			c.heardTS, c.heardAny = p.Timestamp, true
		}
		k := 0
		for _, m := range c.pending {
			if c.heard(m.ts) {
				echo = append(echo, m.id)
			} else {
				c.pending[k] = m
				k++
			}
		}
		c.pending = c.pending[:k]
		c.mu.Unlock()
		for _, id := range echo {
			c.echo(id)
		}
	}
}

// speak sends the caller's audio every 20 ms, in real time: what was
// said, else silence (unless Quiet); a key takes three packets' time.
func (c *Client) speak() {
	defer c.stopped.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var ulaw []byte
	key, keyPart := byte(0), 0 // the key being sent, and its packets so far
	for {
		select {
		case <-tick.C:
		case <-c.stop:
			return
		case <-c.done:
			return
		}
		if keyPart == 0 {
			select {
			case key = <-c.keys:
				keyPart = 1
			default:
			}
		}
		if keyPart > 0 {
			c.track.key(key, keyPart)
			c.sent.Add(1)
			if keyPart++; keyPart > 3 {
				keyPart = 0
			}
			continue
		}
		c.mu.Lock()
		n := min(frame, len(c.queued))
		var pcm audio.PCM16
		if n > 0 {
			pcm = c.queued[:n]
			ulaw = audio.EncodeUlaw(ulaw[:0], pcm)
			c.queued = c.queued[n:]
		}
		left := len(c.queued)
		c.mu.Unlock()
		if n == 0 {
			if c.cfg.Quiet {
				c.track.skip()
				continue
			}
			ulaw = ulaw[:0]
		}
		for len(ulaw) < frame {
			ulaw = append(ulaw, audio.UlawSilence)
		}
		c.track.audio(ulaw)
		c.sent.Add(1)
		if c.cfg.OnSend != nil {
			c.cfg.OnSend(time.Now(), n, left)
		}
	}
}

// track is the caller's microphone as a pion TrackLocal that writes RTP
// itself: PCMU, and telephone-events on the same stream.
type track struct {
	mu      sync.Mutex
	w       webrtc.TrackLocalWriter
	ssrc    uint32
	pcmu    uint8
	event   uint8 // 0: not negotiated
	seq     uint16
	ts      uint32
	eventTS uint32
	h       rtp.Header
}

func (t *track) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var chosen *webrtc.RTPCodecParameters
	for _, p := range ctx.CodecParameters() {
		switch {
		case strings.EqualFold(p.MimeType, webrtc.MimeTypePCMU) && chosen == nil:
			chosen = &p
		case strings.EqualFold(p.MimeType, mimeEvent) && p.ClockRate == 8000:
			t.event = uint8(p.PayloadType)
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.mu.Lock()
	t.w, t.ssrc, t.pcmu = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(chosen.PayloadType)
	t.mu.Unlock()
	return *chosen, nil
}

func (t *track) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.w = nil
	t.mu.Unlock()
	return nil
}

func (t *track) ID() string                { return "microphone" }
func (t *track) RID() string               { return "" }
func (t *track) StreamID() string          { return "caller" }
func (t *track) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

func (t *track) write(pt uint8, marker bool, ts uint32, payload []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w == nil {
		return
	}
	t.h = rtp.Header{Version: 2, PayloadType: pt, Marker: marker, SequenceNumber: t.seq, Timestamp: ts, SSRC: t.ssrc}
	t.seq++
	_, _ = t.w.WriteRTP(&t.h, payload)
}

// audio sends a 20 ms frame of PCMU.
func (t *track) audio(ulaw []byte) {
	t.write(t.pcmu, false, t.ts, ulaw)
	t.ts += frame
}

// skip lets 20 ms pass unsent.
func (t *track) skip() { t.ts += frame }

// key sends part 1-3 of a key as RFC 4733 telephone-events: the start
// (with the marker bit), a continuation, and the end, three times over.
func (t *track) key(key byte, part int) {
	if part == 1 {
		t.eventTS = t.ts
	}
	t.ts += frame
	var p [4]byte
	p[0], p[1] = key, 10 // volume -10 dBm0
	binary.BigEndian.PutUint16(p[2:], uint16(part*frame))
	if part < 3 {
		t.write(t.event, part == 1, t.eventTS, p[:])
		return
	}
	p[1] |= 0x80 // the end
	for range 3 {
		t.write(t.event, false, t.eventTS, p[:])
	}
}

// cuttable is the caller's UDP socket; once cut, nothing goes either way.
type cuttable struct {
	net.PacketConn
	cut atomic.Bool
}

func (c *cuttable) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.cut.Load() {
			return n, addr, err
		}
	}
}

func (c *cuttable) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.cut.Load() {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}

// quiet drops pion's logs.
var quiet = &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled}
