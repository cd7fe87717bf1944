package twiliotest

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// Defaults of PhoneConfig.
const (
	defaultMaxStreams  = 20
	defaultHTTPTimeout = 15 * time.Second // Twilio's, for a webhook
	streamDialTimeout  = 10 * time.Second
	maxTwiML           = 64 << 10
)

// PhoneConfig describes a simulated phone call. VoiceURL is required.
type PhoneConfig struct {
	// VoiceURL is the number's voice webhook (http:// or https://, query
	// included), as Twilio calls it.
	VoiceURL string
	// AuthToken, when set, signs every request as Twilio does
	// (X-Twilio-Signature): the webhook, each stream's handshake and each
	// action request.
	AuthToken string
	// AccountSid and CallSid identify the call in every request and every
	// stream's start; empty means generated. From and To are the caller's
	// and the called numbers.
	AccountSid, CallSid string
	From, To            string
	// Header is added to every request and handshake (X-Forwarded-Proto…).
	Header http.Header
	// HTTP makes the webhook and action requests; nil means a client with
	// Twilio's timeout of 15 s.
	HTTP *http.Client
	// Stream configures every stream of the call (Dialer, KeepPlayed,
	// MaxEntries, WriteTimeout, Clock). Its sids, Parameters and Header
	// are ignored: each stream gets the call's sids, a new StreamSid, the
	// <Parameter>s of its TwiML and Header, signed.
	Stream Config
	// MaxStreams bounds the streams of one call, against a server that
	// hands the call over forever; zero means 20. Beyond it the call
	// fails.
	MaxStreams int
}

// End is how a phone call ended.
type End string

// Ends of a call.
const (
	// EndCaller: the caller hung up (Phone.Hangup, or the stream's own
	// Hangup or Close).
	EndCaller End = "caller hung up"
	// EndHangup: the TwiML ended the call (<Hangup/>, <Reject/>, or its
	// last verb done).
	EndHangup End = "hangup"
	// EndDial: the TwiML transferred the call with <Dial>.
	EndDial End = "dial"
	// EndFailed: a request failed, its TwiML was not understood, or a
	// stream did not open: real Twilio would play an application error
	// and hang up. Outcome.Err says why.
	EndFailed End = "failed"
)

// Outcome is how a call ended. Its End is "" while the call goes on.
type Outcome struct {
	End End
	// Number is the number <Dial> transferred the call to.
	Number string
	// Err is why the call failed (EndFailed): it wraps ErrRequest, or a
	// stream's dial error.
	Err error
	// At is when the call ended.
	At time.Time
	// Said is what the <Say>s of the call's TwiML said, in order.
	Said []string
}

// HandOver is one stream of a call ending without the caller hanging up,
// and the next opening from the TwiML that came after it.
type HandOver struct {
	// From and To are the old and the new stream's StreamSid.
	From, To string
	// Dropped is when the old stream ended; LastAudio when its last
	// media from the server arrived (zero if none); Playing says whether
	// audio was playing or buffered then.
	Dropped, LastAudio time.Time
	Playing            bool
	// Answered is when the action request's TwiML arrived (zero when the
	// <Connect> had no action and the call went on to the next verb).
	Answered time.Time
	// Opened is when the new stream was open, with connected and start
	// sent.
	Opened time.Time
	// FirstAudio is when the new stream's first media from the server
	// arrived; zero until then.
	FirstAudio time.Time
}

// Silence is what the caller heard between the streams: from the last
// audio of the old stream when it was playing at the drop, else from the
// drop, to the first audio of the new one. Zero until that audio came.
func (h HandOver) Silence() time.Duration {
	if h.FirstAudio.IsZero() {
		return 0
	}
	from := h.Dropped
	if h.Playing && !h.LastAudio.IsZero() {
		from = h.LastAudio
	}
	return h.FirstAudio.Sub(from)
}

// Phone is a simulated Twilio phone call: it rings the voice webhook and
// follows the TwiML it gets, as Twilio does, across streams. When a
// stream ends and the caller did not hang up (the server closed it, or
// the connection broke) it asks the <Connect>'s action URL and follows
// that TwiML: a new <Connect><Stream> opens a new stream for the same
// call (same CallSid, a new StreamSid; nothing the caller had queued is
// carried over), <Hangup/> or <Dial> ends the call. Its methods are safe
// for concurrent use.
type Phone struct {
	cfg        PhoneConfig
	http       *http.Client
	maxStreams int
	ctx        context.Context // ended by Hangup: no more requests
	cancel     context.CancelFunc
	done       chan struct{}

	mu        sync.Mutex
	stream    *Client
	streams   int
	changed   chan struct{} // closed at the next hand-over or the end
	handOvers []handOver
	said      []string
	outcome   Outcome
	hungUp    bool
}

// handOver is a HandOver and the stream whose first audio completes it.
type handOver struct {
	HandOver
	to *Client
}

// leg is a stream of the call and what follows it: its action URL, or
// else the rest of its TwiML.
type leg struct {
	c      *Client
	action string
	rest   []verb
}

// Ring places the call: it posts the voice webhook (CallStatus ringing)
// and follows its TwiML up to the first stream, which it opens, or the
// end of the call. ctx bounds that much only. The error is the webhook's
// (wrapping ErrRequest) or the stream's dial error; a call the TwiML ended
// at once is returned over, with no stream. Hang up with Hangup.
func Ring(ctx context.Context, cfg PhoneConfig) (*Phone, error) {
	if cfg.VoiceURL == "" {
		return nil, errors.New("twiliotest: Ring needs a VoiceURL")
	}
	p := &Phone{cfg: cfg, http: cfg.HTTP, maxStreams: cfg.MaxStreams, done: make(chan struct{}), changed: make(chan struct{})}
	p.cfg.AccountSid = orID(cfg.AccountSid, "AC")
	p.cfg.CallSid = orID(cfg.CallSid, "CA")
	for _, id := range []string{p.cfg.AccountSid, p.cfg.CallSid} {
		if !plainID(id) {
			return nil, fmt.Errorf("twiliotest: sid %q: want letters and digits", id)
		}
	}
	if p.http == nil {
		p.http = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if p.maxStreams <= 0 {
		p.maxStreams = defaultMaxStreams
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	verbs, err := p.request(ctx, cfg.VoiceURL, "ringing")
	if err != nil {
		p.cancel()
		return nil, err
	}
	l, end := p.follow(ctx, cfg.VoiceURL, verbs)
	if end.End == EndFailed {
		p.cancel()
		return nil, end.Err
	}
	if l.c == nil {
		p.finish(end)
		return p, nil
	}
	p.stream = l.c
	go p.run(l)
	return p, nil
}

// CallSid is the call's id.
func (p *Phone) CallSid() string { return p.cfg.CallSid }

// Stream is the call's current stream: after the call, its last one; nil
// when it never had one.
func (p *Phone) Stream() *Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stream
}

// Changed is closed at the next hand-over, or when the call ends.
func (p *Phone) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// Next returns the call's stream once it is not old: at once if a
// hand-over already replaced old, else at the next one. The error is
// ErrClosed when the call ends first (Outcome says how), or ctx's.
func (p *Phone) Next(ctx context.Context, old *Client) (*Client, error) {
	for {
		p.mu.Lock()
		c, ch, over := p.stream, p.changed, p.outcome.End != ""
		p.mu.Unlock()
		if c != old && c != nil {
			return c, nil
		}
		if over {
			return nil, ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Done is closed when the call is over.
func (p *Phone) Done() <-chan struct{} { return p.done }

// Outcome is how the call ended; its End is "" while it goes on.
func (p *Phone) Outcome() Outcome {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.outcome
	o.Said = append([]string(nil), p.said...)
	return o
}

// HandOvers returns the call's hand-overs so far, oldest first.
func (p *Phone) HandOvers() []HandOver {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]HandOver, len(p.handOvers))
	for i, h := range p.handOvers {
		h.to.mu.Lock()
		h.FirstAudio = h.to.firstAt
		h.to.mu.Unlock()
		out[i] = h.HandOver
	}
	return out
}

// Hangup hangs up as the caller: stop on the current stream, or, between
// streams, no further request or stream. It returns once the call is
// over, with the error of sending stop, or ErrClosed when the call was
// already over.
func (p *Phone) Hangup() error {
	p.mu.Lock()
	over, c := p.outcome.End != "", p.stream
	p.hungUp = true
	p.mu.Unlock()
	if over {
		return ErrClosed
	}
	p.cancel()
	var err error
	if c != nil {
		err = c.Hangup()
		if errors.Is(err, ErrClosed) { // the stream had ended: between streams
			err = nil
		}
	}
	<-p.done
	return err
}

// run follows the call from stream to stream until it is over.
func (p *Phone) run(l leg) {
	for {
		c := l.c
		<-c.Done()
		p.mu.Lock()
		hungUp := p.hungUp
		p.mu.Unlock()
		if hungUp || c.Err() == nil { // ended by the caller
			p.finish(Outcome{End: EndCaller})
			return
		}
		c.mu.Lock()
		h := HandOver{From: c.streamSid, Dropped: c.endAt, LastAudio: c.lastMedia, Playing: !c.idle()}
		c.mu.Unlock()
		base, verbs := "", l.rest
		if l.action != "" {
			var err error
			if verbs, err = p.request(p.ctx, l.action, "in-progress"); err != nil {
				p.finish(Outcome{End: EndFailed, Err: err})
				return
			}
			base, h.Answered = l.action, time.Now()
		}
		next, end := p.follow(p.ctx, base, verbs)
		if next.c == nil {
			p.finish(end)
			return
		}
		h.To, h.Opened = next.c.streamSid, next.c.start
		p.mu.Lock()
		if p.hungUp {
			p.mu.Unlock()
			next.c.Hangup()
			p.finish(Outcome{End: EndCaller})
			return
		}
		p.stream = next.c
		p.handOvers = append(p.handOvers, handOver{h, next.c})
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
		l = next
	}
}

// finish ends the call with o, or as the caller's when they hung up.
func (p *Phone) finish(o Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hungUp {
		o = Outcome{End: EndCaller}
	}
	o.At = time.Now()
	p.outcome = o
	close(p.changed)
	p.changed = make(chan struct{})
	p.cancel()
	close(p.done)
}

// follow carries out verbs (of the TwiML fetched from base) up to a
// stream it opens, returned with what follows it, or the end of the call.
func (p *Phone) follow(ctx context.Context, base string, verbs []verb) (leg, Outcome) {
	for i, v := range verbs {
		switch v.name {
		case "Say":
			p.mu.Lock()
			p.said = append(p.said, v.text)
			p.mu.Unlock()
		case "Pause", "Play":
		case "Hangup", "Reject":
			return leg{}, Outcome{End: EndHangup}
		case "Dial":
			return leg{}, Outcome{End: EndDial, Number: v.text}
		case "Connect":
			stream, err := resolve(base, v.stream)
			if err != nil {
				return leg{}, failed(err)
			}
			action := ""
			if v.action != "" {
				if action, err = resolve(base, v.action); err != nil {
					return leg{}, failed(err)
				}
			}
			c, err := p.dial(ctx, stream, v.params)
			if err != nil {
				return leg{}, Outcome{End: EndFailed, Err: err}
			}
			return leg{c: c, action: action, rest: verbs[i+1:]}, Outcome{}
		default:
			return leg{}, failed(fmt.Errorf("verb <%s> not simulated", v.name))
		}
	}
	return leg{}, Outcome{End: EndHangup}
}

func failed(err error) Outcome {
	return Outcome{End: EndFailed, Err: fmt.Errorf("%w: %w", ErrRequest, err)}
}

// dial opens a stream of the call.
func (p *Phone) dial(ctx context.Context, stream string, params map[string]string) (*Client, error) {
	p.mu.Lock()
	p.streams++
	n := p.streams
	p.mu.Unlock()
	if n > p.maxStreams {
		return nil, fmt.Errorf("twiliotest: more than %d streams in one call", p.maxStreams)
	}
	cfg := p.cfg.Stream
	cfg.AccountSid, cfg.CallSid, cfg.StreamSid = p.cfg.AccountSid, p.cfg.CallSid, ""
	cfg.Parameters = params
	cfg.Header = p.header(stream, nil)
	dctx, cancel := context.WithTimeout(ctx, streamDialTimeout)
	defer cancel()
	return Dial(dctx, stream, cfg)
}

// header is Config.Header with the signature of a request to u.
func (p *Phone) header(u string, form url.Values) http.Header {
	h := p.cfg.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if p.cfg.AuthToken != "" {
		h.Set("X-Twilio-Signature", twilio.Signature(p.cfg.AuthToken, u, form))
	}
	return h
}

// request posts the call's form to u, as Twilio asks a webhook or an
// action URL, and returns the verbs of the TwiML it answers.
func (p *Phone) request(ctx context.Context, u, status string) ([]verb, error) {
	form := url.Values{
		"CallSid": {p.cfg.CallSid}, "AccountSid": {p.cfg.AccountSid}, "From": {p.cfg.From}, "To": {p.cfg.To},
		"Direction": {"inbound"}, "CallStatus": {status},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	req.Header = p.header(u, form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTwiML))
	if err != nil {
		return nil, fmt.Errorf("%w: POST %s: %w", ErrRequest, u, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%w: POST %s: %s", ErrRequest, u, resp.Status)
	}
	verbs, err := parseTwiML(body)
	if err != nil {
		return nil, fmt.Errorf("%w: POST %s: %w", ErrRequest, u, err)
	}
	return verbs, nil
}

// resolve makes ref, from TwiML fetched from base, absolute.
func resolve(base, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil || base == "" {
		return ref, err
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

// verb is one TwiML verb, as far as the simulation follows it.
type verb struct {
	name   string
	text   string // <Say>'s words, <Dial>'s number
	action string // <Connect>'s
	stream string // <Connect><Stream url>
	params map[string]string
}

// parseTwiML reads a TwiML document's verbs, in order.
func parseTwiML(b []byte) ([]verb, error) {
	var doc struct {
		XMLName xml.Name `xml:"Response"`
		Verbs   []struct {
			XMLName xml.Name
			Action  string   `xml:"action,attr"`
			Text    string   `xml:",chardata"`
			Numbers []string `xml:"Number"`
			Streams []struct {
				URL    string `xml:"url,attr"`
				Params []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"Parameter"`
			} `xml:"Stream"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("TwiML: %w: %.200q", err, b)
	}
	verbs := make([]verb, 0, len(doc.Verbs))
	for _, d := range doc.Verbs {
		v := verb{name: d.XMLName.Local, text: strings.TrimSpace(d.Text), action: d.Action}
		switch v.name {
		case "Dial":
			if len(d.Numbers) > 0 {
				v.text = strings.TrimSpace(d.Numbers[0])
			}
			if v.text == "" {
				return nil, errors.New("TwiML: <Dial> with no number")
			}
		case "Connect":
			if len(d.Streams) != 1 || d.Streams[0].URL == "" {
				return nil, errors.New("TwiML: <Connect> without one <Stream url>")
			}
			s := d.Streams[0]
			v.stream, v.params = s.URL, make(map[string]string, len(s.Params))
			for _, prm := range s.Params {
				v.params[prm.Name] = prm.Value
			}
		}
		verbs = append(verbs, v)
	}
	return verbs, nil
}
