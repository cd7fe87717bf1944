package webrtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	pion "github.com/pion/webrtc/v4"

	"github.com/voiceagent/voiceagent/telephony"
)

// Config configures the transport; the zero value means the defaults.
type Config struct {
	// Agents says whether an agent answers calls ("" asks for the default
	// agent); nil means every agent does. An offer for an unknown agent
	// is refused with 404.
	Agents func(name string) (lang string, ok bool)
	// Admit, when set, is asked about every request (the offer with its
	// agent; GET /webrtc/config with the agent of its ?agent=) after the
	// transport's own rules: the server's rules, like an API token of an
	// embed. An error refuses it: a *Refusal (Unauthorized, Forbidden)
	// with its status and message, any other error with 403 and a message
	// that tells nothing of it. Errors are logged: they must not quote
	// the credentials they refuse. For an offer, Offered(r) is the request
	// the page sent, with its token; an offer to resume a call
	// (OfferRequest.Resume) must be admitted here for that call — the
	// transport resumes none without an Admit.
	Admit func(r *http.Request, agent string) error
	// CallToken, when set, makes a credential for a call just taken (its
	// id, its agent), handed to the page in the answer as "token": for
	// the call's events and transcript, which the server serves.
	CallToken func(call, agent string) string
	// Origins are the pages that may call, as origins
	// ("https://shop.example"); "*" allows any page. With none, only pages
	// of the server's own origin may: the Origin's host must be the
	// request's Host (or X-Forwarded-Host). A request without an Origin is
	// taken only from clients that are not browsers.
	Origins []string
	// OffersPerMinute bounds the offers one remote address may make in a
	// minute (429 past it); zero means 10. Behind a proxy every caller
	// shares its address: raise it, or limit at the proxy. Offers that
	// resume a call, once admitted, neither count nor are refused for it.
	OffersPerMinute int
	// MaxCalls bounds the calls in progress, counting those still
	// connecting; beyond it offers are refused with 503 before any
	// PeerConnection is made. Zero means 200.
	MaxCalls int
	// Others, when set, counts the calls other transports of the same
	// server carry, which MaxCalls bounds too.
	Others func() int
	// UDPPort is the one UDP port every call's media uses (ICE over a
	// shared socket); zero means a port the system picks.
	UDPPort int
	// IPs are the local addresses that take media; none means every IPv4
	// address of the host but loopback. Tests list 127.0.0.1.
	IPs []string
	// PublicIP, when set, is the address put in the answer's candidates
	// instead of the local ones: the public address of a host behind a
	// 1:1 NAT (a cloud instance's).
	PublicIP string
	// ICEServers are the STUN and TURN servers the page should use, handed
	// to it by GET /webrtc/config (ICEServers). The server itself needs
	// none: it is reached at its own (or its public) address.
	ICEServers []ICEServer
	// Grace is how long a call outlives the silence of the caller's
	// network (a network change, a suspended tab) before it ends as a
	// lost connection, for the page to resume; zero means 5 s.
	Grace time.Duration
	// ConnectTimeout bounds the time from the answer to the media
	// flowing; zero means 20 s.
	ConnectTimeout time.Duration
	// PlayoutDelay is how long after it was sent the caller is taken to
	// have heard audio (the network and the browser's jitter buffer) when
	// the page does not echo marks; zero means 200 ms.
	PlayoutDelay time.Duration
	Logger       *slog.Logger
}

// ICEServer is a STUN or TURN server as a page's RTCPeerConnection takes
// it.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Transport takes browser calls: offers over HTTP, media over one UDP
// port.
type Transport struct {
	answer   telephony.Answerer
	cfg      Config
	log      *slog.Logger
	warn     *telephony.Warnings
	origins  origins
	limiter  *limiter
	now      func() time.Time // the limiter's clock
	mux      *ice.MultiUDPMuxDefault
	api      *pion.API
	pcs      atomic.Int64 // PeerConnections made, ever
	ctx      context.Context
	stop     context.CancelFunc
	stopOnce sync.Once

	mu       sync.Mutex
	calls    map[*call]struct{} // connecting or in progress
	draining bool
	handover bool // HandOver was called: calls end to go on elsewhere
	wg       sync.WaitGroup
}

// New opens the transport's UDP port and returns it, handing its calls to
// a. Close releases the port.
func New(a telephony.Answerer, cfg Config) (*Transport, error) {
	if cfg.Agents == nil {
		cfg.Agents = func(string) (string, bool) { return "es", true }
	}
	if cfg.OffersPerMinute <= 0 {
		cfg.OffersPerMinute = 10
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = 200
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 20 * time.Second
	}
	if cfg.PlayoutDelay <= 0 {
		cfg.PlayoutDelay = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, s := range cfg.ICEServers {
		for _, u := range s.URLs {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				return nil, fmt.Errorf("webrtc: ICE server %q: not a stun:, stuns:, turn: or turns: URL", u)
			}
		}
	}
	if cfg.PublicIP != "" && net.ParseIP(cfg.PublicIP) == nil {
		return nil, fmt.Errorf("webrtc: public IP %q is not an IP address", cfg.PublicIP)
	}
	mux, err := openMux(cfg)
	if err != nil {
		return nil, err
	}
	api, err := newAPI(cfg, mux)
	if err != nil {
		_ = mux.Close()
		return nil, err
	}
	t := &Transport{
		answer: a, cfg: cfg, log: cfg.Logger, origins: newOrigins(cfg.Origins),
		limiter: newLimiter(cfg.OffersPerMinute), now: time.Now, mux: mux, api: api,
		calls: map[*call]struct{}{},
	}
	t.warn = &telephony.Warnings{Log: t.log}
	t.ctx, t.stop = context.WithCancel(context.Background())
	return t, nil
}

// ErrNoAddress is New's error when the host has no address to take media
// on (Config.IPs empty, and no IPv4 address but loopback).
var ErrNoAddress = errors.New("webrtc: no local address to take media on")

// openMux opens the UDP port of every call, on each address taken.
func openMux(cfg Config) (*ice.MultiUDPMuxDefault, error) {
	opts := []ice.UDPMuxFromPortOption{
		ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4),
		ice.UDPMuxFromPortWithLogger(quiet.NewLogger("ice")),
	}
	if len(cfg.IPs) > 0 {
		keep := map[string]bool{}
		loopback := false
		for _, s := range cfg.IPs {
			ip := net.ParseIP(s)
			if ip == nil || ip.To4() == nil {
				return nil, fmt.Errorf("webrtc: %q is not an IPv4 address", s)
			}
			keep[ip.String()] = true
			loopback = loopback || ip.IsLoopback()
		}
		opts = append(opts, ice.UDPMuxFromPortWithIPFilter(func(ip net.IP) bool { return keep[ip.String()] }))
		if loopback {
			opts = append(opts, ice.UDPMuxFromPortWithLoopback())
		}
	}
	mux, err := ice.NewMultiUDPMuxFromPort(cfg.UDPPort, opts...)
	if err != nil {
		return nil, fmt.Errorf("webrtc: opening UDP port %d: %w", cfg.UDPPort, err)
	}
	if len(mux.GetListenAddresses()) == 0 {
		_ = mux.Close()
		return nil, ErrNoAddress
	}
	return mux, nil
}

// Payload types the answer offers when the offer has none of its own.
const (
	ptPCMU  = 0
	ptOpus  = 111
	ptEvent = 101
)

// newAPI makes the pion API every call's PeerConnection comes from: PCMU,
// Opus (received only) and telephone-event, host candidates on the shared port (the
// public IP in their place when set), no mDNS, no interceptors (audio
// needs neither NACKs nor bandwidth estimation), pion's logs dropped (they
// name addresses).
func newAPI(cfg Config, mux ice.UDPMux) (*pion.API, error) {
	me := &pion.MediaEngine{}
	if err := me.RegisterCodec(pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypePCMU, ClockRate: 8000},
		PayloadType:        ptPCMU,
	}, pion.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	// Opus too, for the caller's side: a client that prefers it sends it,
	// and it is decoded in pure Go (pion/opus). The agent's side is PCMU
	// whatever the client prefers: there is no pure-Go encoder.
	if err := me.RegisterCodec(pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType: ptOpus,
	}, pion.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	if err := me.RegisterCodec(pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: mimeEvent, ClockRate: 8000, SDPFmtpLine: "0-15"},
		PayloadType:        ptEvent,
	}, pion.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	var se pion.SettingEngine
	se.LoggerFactory = quiet
	se.SetICEUDPMux(mux)
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if len(cfg.IPs) > 0 {
		keep := map[string]bool{}
		for _, s := range cfg.IPs {
			keep[net.ParseIP(s).String()] = true
			if net.ParseIP(s).IsLoopback() {
				se.SetIncludeLoopbackCandidate(true)
			}
		}
		se.SetIPFilter(func(ip net.IP) bool { return keep[ip.String()] })
	}
	if cfg.PublicIP != "" {
		if err := se.SetICEAddressRewriteRules(pion.ICEAddressRewriteRule{
			External: []string{cfg.PublicIP}, AsCandidateType: pion.ICECandidateTypeHost, Mode: pion.ICEAddressRewriteReplace,
		}); err != nil {
			return nil, err
		}
	}
	// The caller's network is lost after Grace without a packet: ICE
	// fails then, and the call ends.
	disconnected := min(cfg.Grace/2, 2*time.Second)
	se.SetICETimeouts(disconnected, cfg.Grace, min(disconnected/2, time.Second))
	return pion.NewAPI(pion.WithMediaEngine(me), pion.WithSettingEngine(se), pion.WithInterceptorRegistry(&interceptor.Registry{})), nil
}

const mimeEvent = "audio/telephone-event"

// Register adds the transport's routes to mux: POST /webrtc/offer and
// GET /webrtc/config, each with its CORS preflight.
func (t *Transport) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /webrtc/offer", t.offer)
	mux.HandleFunc("OPTIONS /webrtc/offer", t.preflight)
	mux.HandleFunc("GET /webrtc/config", t.config)
	mux.HandleFunc("OPTIONS /webrtc/config", t.preflight)
}

// ICEServers are the STUN and TURN servers a page should use.
func (t *Transport) ICEServers() []ICEServer {
	out := make([]ICEServer, len(t.cfg.ICEServers))
	for i, s := range t.cfg.ICEServers {
		out[i] = ICEServer{URLs: append([]string(nil), s.URLs...), Username: s.Username, Credential: s.Credential}
	}
	return out
}

// MediaAddrs are the local addresses of the media port, for the log.
func (t *Transport) MediaAddrs() []string {
	var out []string
	for _, a := range t.mux.GetListenAddresses() {
		out = append(out, a.String())
	}
	return out
}

// Active is the number of calls in progress, counting those connecting.
func (t *Transport) Active() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.calls)
}

// Draining says whether Drain was called: no new calls are taken.
func (t *Transport) Draining() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.draining
}

// Drain refuses new calls from now on and waits for the calls in progress
// to end, until ctx is done; then it ends them and waits for that.
func (t *Transport) Drain(ctx context.Context) {
	t.mu.Lock()
	t.draining = true
	t.mu.Unlock()
	telephony.Settle(ctx, &t.wg, t.stop)
}

// HandOver refuses new calls from now on and ends the calls in progress
// at their next quiet moment (an Inbound with a HandOver method, as
// *telephony.Call has; no answer being worked on or said) so that they
// go on elsewhere: each page is told {"type":"reconnect"} and offers
// again, to any instance that shares the calls, with its call's id and
// token. Calls still busy when ctx is done are handed over then. It
// returns once every call is gone.
func (t *Transport) HandOver(ctx context.Context) {
	t.mu.Lock()
	t.draining, t.handover = true, true
	calls := make([]*call, 0, len(t.calls))
	for c := range t.calls {
		calls = append(calls, c)
	}
	t.mu.Unlock()
	for _, c := range calls {
		c.handOver()
	}
	telephony.Settle(ctx, &t.wg, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		for c := range t.calls {
			c.runCancel(telephony.ErrHandover)
		}
	})
}

// handingOver says whether HandOver was called.
func (t *Transport) handingOver() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.handover
}

// Close ends every call, waits for them, and closes the UDP port.
func (t *Transport) Close() error {
	var err error
	t.stopOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		t.Drain(ctx)
		err = t.mux.Close()
	})
	return err
}

// preflight answers a browser's CORS preflight: listed origins may POST
// JSON with an Authorization header.
func (t *Transport) preflight(w http.ResponseWriter, r *http.Request) {
	ok, cross := t.origins.check(r)
	if !ok {
		writeRefusal(w, errOrigin)
		return
	}
	if cross {
		allowCORS(w, r)
		w.Header().Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
		w.Header().Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

// config answers GET /webrtc/config: {"iceServers": [...]}.
func (t *Transport) config(w http.ResponseWriter, r *http.Request) {
	ok, cross := t.origins.check(r)
	if !ok {
		t.warn.Warn("webrtc config refused", "reason", "origin")
		writeRefusal(w, errOrigin)
		return
	}
	if cross {
		allowCORS(w, r)
	}
	if err := t.admit(r, r.URL.Query().Get("agent")); err != nil {
		writeRefusal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		ICEServers []ICEServer `json:"iceServers"`
	}{t.ICEServers()})
}

// admit asks Config.Admit, turning its errors into Refusals.
func (t *Transport) admit(r *http.Request, agent string) error {
	if t.cfg.Admit == nil {
		return nil
	}
	err := t.cfg.Admit(r, agent)
	if err == nil {
		return nil
	}
	var ref *Refusal
	if errors.As(err, &ref) && ref.Status >= 400 && ref.Status < 500 {
		t.warn.Warn("webrtc offer not admitted", "status", ref.Status)
		return ref
	}
	t.warn.Warn("webrtc offer not admitted", "err", err)
	return errNotAdmitted
}

// offer answers POST /webrtc/offer: the transport's rules (origin,
// draining, the address's rate, the request), the server's (Admit), the
// agent, a place among the calls, and only then a PeerConnection and its
// answer, once its candidates are gathered.
func (t *Transport) offer(w http.ResponseWriter, r *http.Request) {
	ok, cross := t.origins.check(r)
	if !ok {
		t.warn.Warn("webrtc offer refused", "reason", "origin", "origin", clip(r.Header.Get("Origin"), 100))
		writeRefusal(w, errOrigin)
		return
	}
	if cross {
		allowCORS(w, r)
	}
	if t.Draining() {
		writeRefusal(w, errDraining)
		return
	}
	addr, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		addr = r.RemoteAddr
	}
	// An offer past the address's rate is refused — unless it resumes a
	// call and is admitted: pages behind a proxy share its address, and a
	// draining instance hands every call over at once. An admitted resume
	// does not count.
	allowed := t.limiter.allow(addr, t.now())
	limited := func() {
		t.warn.Warn("webrtc offer refused", "reason", "rate")
		writeRefusal(w, errRate)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case !allowed:
			limited()
		case errors.As(err, &tooLarge):
			writeRefusal(w, errTooLarge)
		default:
			writeRefusal(w, errNotJSON)
		}
		return
	}
	o, err := parseOffer(body)
	switch {
	case !allowed && (err != nil || o.resume == ""):
		limited()
		return
	case err != nil:
		writeRefusal(w, err)
		return
	}
	if o.resume != "" && t.cfg.Admit == nil {
		// Whether a page may go on with a call is the server's to say: a
		// transport without its rule resumes none.
		if !allowed {
			limited()
			return
		}
		writeRefusal(w, errNoResume)
		return
	}
	if err := t.admit(r.WithContext(context.WithValue(r.Context(), offeredKey{}, o.req)), o.agent); err != nil {
		if !allowed {
			limited()
			return
		}
		writeRefusal(w, err)
		return
	}
	if o.resume != "" && allowed {
		t.limiter.refund(addr)
	}
	if _, ok := t.cfg.Agents(o.agent); !ok {
		t.warn.Warn("webrtc offer for an unknown agent", "agent", clip(o.agent, maxAgentName))
		writeRefusal(w, errNoAgent(o.agent))
		return
	}
	c, err := t.reserve(o)
	if err != nil {
		t.warn.Warn("webrtc offer refused", "reason", err.(*Refusal).Message)
		writeRefusal(w, err)
		return
	}
	if o.resume != "" {
		// The call is answered now, before any PeerConnection: one that
		// cannot go on (ended, unknown) is refused in the answer.
		if err := c.resume(); err != nil {
			c.abandon()
			writeRefusal(w, err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	answer, err := c.negotiate(ctx, o)
	if err != nil {
		var ref *Refusal
		if !errors.As(err, &ref) || ref.Status >= 500 {
			t.warn.Warn("webrtc call setup failed", "err", err)
		}
		c.abandon()
		writeRefusal(w, err)
		return
	}
	a := OfferAnswer{Call: c.id, SDP: answer}
	if t.cfg.CallToken != nil {
		a.Token = t.cfg.CallToken(c.id, o.agent)
	}
	go c.run()
	writeJSON(w, http.StatusOK, a)
}

// reserve takes a place among the calls for o, or refuses it.
func (t *Transport) reserve(o offer) (*call, error) {
	others := 0
	if t.cfg.Others != nil {
		others = t.cfg.Others() // before the lock: the other transport takes its own
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.draining:
		return nil, errDraining
	case len(t.calls)+others >= t.cfg.MaxCalls:
		return nil, errFull
	}
	c := newCall(t, o)
	t.calls[c] = struct{}{}
	t.wg.Add(1)
	return c, nil
}

// release gives up the call's place.
func (t *Transport) release(c *call) {
	t.mu.Lock()
	delete(t.calls, c)
	t.mu.Unlock()
}

// older are the other connections of c's call on this transport: those a
// page that offers again to go on with it has left.
func (t *Transport) older(c *call) []*call {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*call
	for o := range t.calls {
		if o != c && o.id == c.id {
			out = append(out, o)
		}
	}
	return out
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// quiet drops pion's logs: they name addresses, and what matters of them
// the transport logs itself.
var quiet = &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled}
