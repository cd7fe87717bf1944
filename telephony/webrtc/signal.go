package webrtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pion/sdp/v3"
)

// OfferRequest is the body of POST /webrtc/offer: the agent to call (""
// for the default one) and the browser's offer, with every ICE candidate
// gathered (no trickle). Token is the page's credential (an embed's), for
// Config.Admit to read with Offered; the transport does not.
//
// Resume, when set, is the id of a call in progress whose connection was
// lost (or handed over): the offer asks to go on with it, and Token is
// then the call's own credential, the one the page got with its first
// answer. Whether that is allowed is Config.Admit's to say (without an
// Admit, no call is resumed); the call is then answered as that call,
// CallInfo.Resume set, and the Answerer decides whether it goes on.
type OfferRequest struct {
	Agent  string `json:"agent"`
	SDP    string `json:"sdp"`
	Token  string `json:"token,omitempty"`
	Resume string `json:"resume,omitempty"`
}

// OfferAnswer is the answer to a taken offer: the call's id, the
// server's answer with its candidates, and Config.CallToken's credential
// for the call, when there is one.
type OfferAnswer struct {
	Call  string `json:"call"`
	SDP   string `json:"sdp"`
	Token string `json:"token,omitempty"`
}

type offeredKey struct{}

// Offered is the offer request that Config.Admit is asked about, as the
// page sent it (its body has been read by then).
func Offered(r *http.Request) (OfferRequest, bool) {
	req, ok := r.Context().Value(offeredKey{}).(OfferRequest)
	return req, ok
}

// ErrorBody is the body of every refusal: a plain sentence a page can
// show.
type ErrorBody struct {
	Error string `json:"error"`
}

// Limits of an offer request.
const (
	maxBody      = 64 << 10 // the request body
	maxAgentName = 64
	maxCallID    = 64
)

// Refusal is an error with the HTTP status and the message a page is
// shown. Config.Admit returns one (Unauthorized, Forbidden) to refuse an
// offer in its own words; the transport's own refusals are Refusals too.
type Refusal struct {
	Status  int
	Message string
}

func (r *Refusal) Error() string { return fmt.Sprintf("%d: %s", r.Status, r.Message) }

// Unauthorized refuses an offer with 401: the request did not say who it
// is (no API token, or a wrong one).
func Unauthorized(message string) error {
	return &Refusal{Status: http.StatusUnauthorized, Message: message}
}

// Forbidden refuses an offer with 403: the request is known and not
// allowed this call.
func Forbidden(message string) error {
	return &Refusal{Status: http.StatusForbidden, Message: message}
}

func refuse(status int, message string) *Refusal { return &Refusal{Status: status, Message: message} }

// The transport's refusals, as a page shows them.
var (
	errNotJSON     = refuse(http.StatusBadRequest, `The request must be JSON like {"agent": "...", "sdp": "..."}.`)
	errNoSDP       = refuse(http.StatusBadRequest, "The request has no SDP offer.")
	errBadSDP      = refuse(http.StatusBadRequest, "The call offer is not valid SDP.")
	errNoAudio     = refuse(http.StatusBadRequest, "The call offer has no audio: the page must add a microphone track or an audio transceiver.")
	errNoCodec     = refuse(http.StatusBadRequest, "The browser offered no audio codec this service takes: it needs PCMU (G.711 mu-law).")
	errBadAgent    = refuse(http.StatusBadRequest, "The agent name is not valid.")
	errBadResume   = refuse(http.StatusBadRequest, "The call to resume is not a valid call id.")
	errNoResume    = refuse(http.StatusForbidden, "This service does not resume calls.")
	errEndedCall   = refuse(http.StatusConflict, "This call cannot go on: it has ended, or this service does not know it.")
	errTooLarge    = refuse(http.StatusRequestEntityTooLarge, "The call offer is too large.")
	errOrigin      = refuse(http.StatusForbidden, "This page is not allowed to place calls to this service.")
	errRate        = refuse(http.StatusTooManyRequests, "Too many calls from your network. Please wait a minute and try again.")
	errDraining    = refuse(http.StatusServiceUnavailable, "The service is restarting. Please try again in a moment.")
	errFull        = refuse(http.StatusServiceUnavailable, "All lines are busy. Please try again in a few minutes.")
	errNotAdmitted = refuse(http.StatusForbidden, "This call is not allowed.")
	errSetup       = refuse(http.StatusInternalServerError, "The call could not be set up. Please try again.")
)

func errNoAgent(name string) *Refusal {
	if name == "" {
		return refuse(http.StatusNotFound, "No agent takes calls here.")
	}
	return refuse(http.StatusNotFound, fmt.Sprintf("No agent named %q takes calls here.", name))
}

// offer is an offer request as read and checked.
type offer struct {
	req   OfferRequest
	agent string
	sdp   string
	// control says the offer has a data channel section, where the page
	// opens the "control" channel.
	control bool
	// resume is the id of the call the offer goes on with; "" for a new
	// call.
	resume string
}

// parseOffer reads an offer request: JSON with an agent name (printable,
// at most 64 bytes) and an SDP offer that parses, has an audio section,
// and offers PCMU in it. Its errors are Refusals.
func parseOffer(body []byte) (offer, error) {
	var req OfferRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return offer{}, errNotJSON
	}
	if !validAgent(req.Agent) {
		return offer{}, errBadAgent
	}
	if req.Resume != "" && !validCallID(req.Resume) {
		return offer{}, errBadResume
	}
	if strings.TrimSpace(req.SDP) == "" {
		return offer{}, errNoSDP
	}
	var desc sdp.SessionDescription
	if err := desc.UnmarshalString(req.SDP); err != nil {
		return offer{}, errBadSDP
	}
	o := offer{req: req, agent: req.Agent, sdp: req.SDP, resume: req.Resume}
	audio, pcmu := false, false
	for _, m := range desc.MediaDescriptions {
		switch m.MediaName.Media {
		case "audio":
			audio = true
			pcmu = pcmu || offersPCMU(m)
		case "application":
			o.control = true
		}
	}
	switch {
	case !audio:
		return offer{}, errNoAudio
	case !pcmu:
		return offer{}, errNoCodec
	}
	return o, nil
}

// offersPCMU reports whether an audio section offers PCMU at 8 kHz: by
// its rtpmap, or as the static payload type 0 without one.
func offersPCMU(m *sdp.MediaDescription) bool {
	mapped := map[string]bool{}
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, codec, ok := strings.Cut(a.Value, " ")
		if !ok {
			continue
		}
		mapped[pt] = true
		if strings.EqualFold(strings.TrimSpace(codec), "PCMU/8000") || strings.EqualFold(strings.TrimSpace(codec), "PCMU/8000/1") {
			if contains(m.MediaName.Formats, pt) {
				return true
			}
		}
	}
	return contains(m.MediaName.Formats, "0") && !mapped["0"]
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// validAgent: an agent name is at most 64 bytes of printable UTF-8.
func validAgent(name string) bool {
	if len(name) > maxAgentName || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// validCallID: a call id is 1-64 bytes of letters, digits, '.', '_'
// and '-' (the transport's ids are 16 hex digits).
func validCallID(id string) bool {
	if id == "" || len(id) > maxCallID {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// origins decides which pages may call: the listed origins, or, with none
// listed, pages of the server's own origin.
type origins struct {
	any     bool
	allowed map[string]bool // lowercased scheme://host[:port]
}

func newOrigins(list []string) origins {
	o := origins{allowed: map[string]bool{}}
	for _, s := range list {
		s = strings.ToLower(strings.TrimRight(strings.TrimSpace(s), "/"))
		if s == "*" {
			o.any = true
		} else if s != "" {
			o.allowed[s] = true
		}
	}
	return o
}

// check says whether r may be served, and whether it is a cross-origin
// request the answer must allow by CORS. A request without an Origin
// header is served only when it does not come from a browser (browsers
// send Sec-Fetch-* headers); one with an Origin must come from a listed
// origin or, with none listed, from the server's own host (the request's
// Host, or X-Forwarded-Host behind a proxy).
func (o origins) check(r *http.Request) (ok, cross bool) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Sec-Fetch-Mode") == "", false
	}
	if o.any || o.allowed[strings.ToLower(origin)] {
		return true, true
	}
	if len(o.allowed) > 0 {
		return false, false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false, false
	}
	host := strings.ToLower(u.Host)
	if host == strings.ToLower(r.Host) {
		return true, false
	}
	if fwd, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Host"), ","); fwd != "" && host == strings.ToLower(strings.TrimSpace(fwd)) {
		return true, false
	}
	return false, false
}

// allowCORS adds the headers that let a listed origin's page read the
// answer.
func allowCORS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	h.Add("Vary", "Origin")
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeRefusal answers with err's status and message, or, for any other
// error, with 500 and a message that tells nothing of it.
func writeRefusal(w http.ResponseWriter, err error) {
	var r *Refusal
	if !errors.As(err, &r) {
		r = errSetup
	}
	if r.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, r.Status, ErrorBody{Error: r.Message})
}
