package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/internal/signed"
	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/webrtc"
)

// The browser's tokens. An embed token lets a customer's page start calls
// to one agent for a while (their backend mints it with the API key); a
// call token, handed to the page with its call, lets it follow that call's
// events and take its transcript.
const (
	purposeEmbed = "web embed"
	purposeCall  = "web call"
	// callTokenTTL covers the longest call and a while after it, to save
	// the call as a test.
	callTokenTTL = 2 * time.Hour
	// embedTTL is an embed token's life by default, and its longest.
	embedTTL, maxEmbedTTL = 10 * time.Minute, 24 * time.Hour
)

// webAgent is an agent as the page lists it.
type webAgent struct {
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Greeting string   `json:"greeting,omitempty"`
	Services []string `json:"services"`
}

// webConfig answers GET /v1/web/config: what the page needs to offer a
// call. It is public: agents' names and what they do, never their files.
func (s *server) webConfig(w http.ResponseWriter, _ *http.Request) {
	var out struct {
		Agents     []webAgent  `json:"agents"`
		ICEServers []iceServer `json:"iceServers"`
		Speech     struct {
			STT bool `json:"stt"`
			TTS bool `json:"tts"`
		} `json:"speech"`
	}
	for _, ag := range s.set.Agents() {
		cfg := ag.Catalog.Agent
		a := webAgent{Name: cfg.Name, Language: cfg.Language, Greeting: cfg.Greeting, Services: []string{}}
		for _, svc := range ag.Catalog.Services() {
			if len(a.Services) == 8 {
				break
			}
			if ref := svc.Reference; ref != "" {
				a.Services = append(a.Services, ref)
			}
		}
		out.Agents = append(out.Agents, a)
		out.Speech.STT = out.Speech.STT || s.voices.stts[cfg.Language] != nil
	}
	out.ICEServers = s.iceServers
	if out.ICEServers == nil {
		out.ICEServers = []iceServer{}
	}
	out.Speech.TTS = s.voices.tts != nil
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

// mintEmbed answers POST /v1/web/tokens (behind the API key): a token for
// a customer's page to call one agent, good for ttl (default 10 min).
func (s *server) mintEmbed(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Agent string `json:"agent"`
		TTL   string `json:"ttl"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		jsonError(w, http.StatusBadRequest, `send JSON: {"agent": "NAME", "ttl": "10m"}`)
		return
	}
	if s.set.Agent(req.Agent) == nil {
		jsonError(w, http.StatusNotFound, "no agent named "+quote(req.Agent))
		return
	}
	ttl := embedTTL
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 || d > maxEmbedTTL {
			jsonError(w, http.StatusBadRequest, "ttl: want a duration up to 24h, such as 10m")
			return
		}
		ttl = d
	}
	exp := time.Now().Add(ttl).Truncate(time.Second)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": s.key.Mint(purposeEmbed, exp, req.Agent), "expires": exp.UTC().Format(time.RFC3339)})
}

// admitOffer is the server's rule for a browser's offer, after the
// transport's own (origin, rate, limit): an offer to resume a call must
// carry that call's token (the one its page got with the call, good on
// every instance that shares the secret); an offer with an embed token
// must carry a good one for its agent, and with --webrtc-require-token
// every new call's offer must carry one.
func (s *server) admitOffer(r *http.Request, agent string) error {
	o, ok := webrtc.Offered(r)
	if ok && o.Resume != "" {
		return s.admitResume(o)
	}
	if !ok || o.Token == "" {
		if s.requireToken {
			return &webrtc.Refusal{Status: http.StatusUnauthorized, Message: "This server takes browser calls only from pages given a call token."}
		}
		return nil
	}
	if agent == "" {
		agent = s.calls.DefaultAgent()
	}
	switch s.key.Check(o.Token, purposeEmbed, time.Now(), agent) {
	case nil:
		return nil
	case signed.ErrExpired:
		return &webrtc.Refusal{Status: http.StatusUnauthorized, Message: "This page's call token has expired: reload the page."}
	}
	return &webrtc.Refusal{Status: http.StatusUnauthorized, Message: "This page's call token is not valid for this agent."}
}

// admitResume lets a page go on with its call (its connection lost, or
// handed over) with the call's own token, for exactly that call.
func (s *server) admitResume(o webrtc.OfferRequest) error {
	switch s.key.Check(o.Token, purposeCall, time.Now(), o.Resume) {
	case nil:
		return nil
	case signed.ErrMissing:
		return &webrtc.Refusal{Status: http.StatusUnauthorized, Message: "Resuming a call needs the call's token."}
	case signed.ErrExpired:
		return &webrtc.Refusal{Status: http.StatusUnauthorized, Message: "This call's token has expired: start a new call."}
	}
	return &webrtc.Refusal{Status: http.StatusForbidden, Message: "This token does not open this call."}
}

// resumeAnswerer says, to a page that asks to go on with its call, why
// it cannot: the call store not answering is worth trying again (503);
// a call ended, unknown or of another agent is not (409, the transport's
// own).
type resumeAnswerer struct{ telephony.Answerer }

func (a resumeAnswerer) Answer(ctx context.Context, info telephony.CallInfo, line telephony.Line) (telephony.Inbound, error) {
	in, err := a.Answerer.Answer(ctx, info, line)
	switch {
	case err == nil || !info.Resume:
	case errors.Is(err, calls.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("%w (%v)", &webrtc.Refusal{Status: http.StatusServiceUnavailable,
			Message: "The call cannot be found just now. Please try again in a moment."}, err)
	case errors.Is(err, calls.ErrEnded):
		return nil, fmt.Errorf("%w (%v)", &webrtc.Refusal{Status: http.StatusConflict, Message: "This call has ended."}, err)
	}
	return in, err
}

// callToken is the token a browser call's page follows its call with.
func (s *server) callToken(id string) string {
	return s.key.Mint(purposeCall, time.Now().Add(callTokenTTL), id)
}

// callAccess lets a request for one call's events or transcript through
// with that call's token (?token=), else with the API key.
func (s *server) callAccess(keyed http.Handler, open http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("token"); tok != "" {
			if id, ok := callOfPath(r.URL.Path); ok && s.key.Check(tok, purposeCall, time.Now(), id) == nil {
				open.ServeHTTP(w, r)
				return
			}
			http.Error(w, "this token does not open this call", http.StatusForbidden)
			return
		}
		keyed.ServeHTTP(w, r)
	})
}

// callOfPath is the call of /v1/calls/{id}/events or …/transcript.
func callOfPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/v1/calls/")
	if !ok {
		return "", false
	}
	id, what, ok := strings.Cut(rest, "/")
	return id, ok && id != "" && (what == "events" || what == "transcript")
}

func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// iceServer is a STUN or TURN server as the page's RTCPeerConnection
// takes it.
type iceServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// parseICEServer reads --ice-server: "stun:host:port", or
// "turn:host:port?transport=udp" with ",user,password" after it.
func parseICEServer(v string) (iceServer, error) {
	parts := strings.Split(v, ",")
	u := strings.TrimSpace(parts[0])
	if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
		return iceServer{}, usageErr("--ice-server %q: want stun:HOST:PORT or turn:HOST:PORT,USER,PASSWORD", v)
	}
	srv := iceServer{URLs: []string{u}}
	switch {
	case len(parts) == 3 && !strings.HasPrefix(u, "stun:"):
		srv.Username, srv.Credential = parts[1], parts[2]
	case len(parts) != 1:
		return iceServer{}, usageErr("--ice-server %q: want stun:HOST:PORT or turn:HOST:PORT,USER,PASSWORD", v)
	}
	return srv, nil
}
