// Package deepgram recognises speech with Deepgram's live streaming API: a
// websocket to /v1/listen carrying audio one way (G.711 μ-law at 8 kHz,
// 16-bit little-endian PCM at other rates) and JSON results the other. It
// implements speech.STT.
//
// # Protocol mapping
//
// The stream opens with the encoding, the caller's sample_rate,
// channels=1, the model and language, interim_results, endpointing,
// utterance_end_ms, vad_events, smart_format and punctuate, authenticated
// by "Authorization: Token KEY". The encoding is mulaw for an 8 kHz stream
// (telephone audio: one byte a sample, 8 KB/s, half of linear16, and the
// codes the phone line carried, since G.711 decoded and encoded again gives
// them back) and linear16 at other rates; Config.Encoding sends linear16
// (or mulaw) at every rate.
//
//   - Only the caller's utterances are streamed (speech.Gate): from the
//     300 ms before the first frame whose peak reaches -40 dBFS to the
//     utterance's Flush. Until then, from the stream's start and after
//     each Flush, Write keeps the latest 300 ms of audio in a ring and
//     sends nothing, so the silence (the agent talking, the caller
//     thinking) costs neither a message nor Deepgram's billing of streamed
//     audio; KeepAlive holds the connection meanwhile. Deepgram's times
//     count only the audio it received, and the stream places each Flush
//     on that count.
//   - Write encodes the samples (a table lookup for μ-law) and queues them,
//     allocating nothing once the queue's buffers have grown; a writer
//     goroutine sends the queue as binary frames, 200 ms of audio to a
//     message (a Flush or Close sends what has gathered at once, so a
//     final transcript never waits for it). The queue holds at most
//     Config.MaxBuffered of audio (5 s by default): when that much is
//     waiting the network has stalled, and Write refuses the frame (an
//     utterance's first with the quiet before it) with ErrQueueFull
//     (dropped; the stream goes on and sends the rest once the
//     network recovers, or ends with ErrConnection if one message cannot be
//     sent within Config.WriteTimeout). Write never waits for the network.
//   - Interim transcripts: every Results message that changes the text
//     gives a Transcript with Final false and the text heard since the last
//     Final (the final results collected, then the current interim words).
//   - Flush sends {"type":"Finalize"} after the audio sent before it and
//     gives exactly one Final transcript of the text since the previous
//     Final, in order. It completes when Deepgram's final results reach the
//     audio sent before the Flush, when the answer to the Finalize
//     (from_finalize) arrives, or, since Deepgram documents that the answer
//     may not come when little audio is buffered, after
//     Config.FinalizeTimeout, taking the interim words spoken before the
//     Flush as final. Words a later result repeats for audio already
//     delivered (told by Deepgram's word times) are not delivered again.
//     A Flush with no audio sent since the previous one (the caller said
//     nothing loud enough) sends no Finalize, which Deepgram would have
//     nothing to answer with: its Final, with empty text, comes as soon as
//     the Flushes before it have theirs.
//   - EndOfUtterance: a final result with speech_final (Deepgram's
//     endpointing), or an UtteranceEnd message, gives a Transcript with
//     EndOfUtterance set and the text so far, once per stretch of words.
//     SpeechStarted and Metadata messages are read and ignored.
//   - KeepAlive: when no audio has been sent for Config.KeepAlive (4 s),
//     as between utterances, {"type":"KeepAlive"} is sent (and again every
//     KeepAlive while none is), since Deepgram closes a stream that
//     receives nothing for 10 s.
//   - Close sends {"type":"CloseStream"} after the queued audio, waits up
//     to Config.CloseTimeout for Deepgram to send its Metadata and close,
//     then closes the socket and waits for the reader and writer
//     goroutines. Recv returns speech.ErrClosed after Close.
//   - A lost connection, or Deepgram closing with an error code, ends the
//     stream with ErrConnection; Recv returns it after the transcripts
//     already received. Cancelling the context of Stream ends the stream
//     with the context's error. Errors never hold the API key.
package deepgram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/voiceagent/voiceagent/speech"
)

// DefaultURL is Deepgram's public endpoint.
const DefaultURL = "wss://api.deepgram.com"

// Config configures the provider. Its zero value, with an APIKey, means
// the defaults.
type Config struct {
	// URL is Deepgram's address (DefaultURL when empty): wss://, ws://,
	// https:// (taken as wss://), http:// (taken as ws://) or a bare host.
	// A path other than /v1/listen has /v1/listen appended; a query is kept
	// and overrides the defaults.
	URL string
	// APIKey is sent as "Authorization: Token APIKey". It is required for
	// the public endpoint; a self-hosted server may need none.
	APIKey string
	// Model is the model (default "nova-3").
	Model string
	// Language is a BCP-47 tag ("es", "en", "en-US"), or "multi" for
	// nova-3's multilingual recognition. Empty means "multi" for nova-3
	// models and Deepgram's default (English) otherwise.
	Language string
	// Endpointing is the silence after which Deepgram marks speech_final,
	// given as EndOfUtterance (default 300 ms; negative turns it off).
	Endpointing time.Duration
	// UtteranceEnd is the gap without words after which Deepgram sends
	// UtteranceEnd, given as EndOfUtterance (default 1 s, and Deepgram
	// advises no less; negative turns it off).
	UtteranceEnd time.Duration
	// Query holds more parameters (keyterm, numerals, ...); they override
	// the defaults.
	Query url.Values
	// Header holds more handshake headers.
	Header http.Header
	// KeepAlive is how long without audio before a KeepAlive message is
	// sent (default 4 s; Deepgram advises 3 to 5; negative: never).
	KeepAlive time.Duration
	// FinalizeTimeout bounds the wait for the answer to a Flush's Finalize
	// (default 1 s).
	FinalizeTimeout time.Duration
	// CloseTimeout bounds the wait, in Close, for Deepgram to close the
	// stream after CloseStream (default 2 s).
	CloseTimeout time.Duration
	// DialTimeout bounds opening a stream (default 10 s).
	DialTimeout time.Duration
	// NetDialContext makes a stream's connection (default: package net's
	// dialer); TLS, for wss://, rides on what it returns.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// WriteTimeout bounds sending one message; a network stalled longer
	// ends the stream with ErrConnection (default 10 s).
	WriteTimeout time.Duration
	// MaxBuffered is how much audio may wait to be sent (default 5 s).
	MaxBuffered time.Duration
	// Encoding is how audio is sent: empty means EncodingMulaw for 8 kHz
	// streams (telephone audio: half the bytes, and what the phone line
	// carried) and EncodingLinear16 at other rates; EncodingLinear16 or
	// EncodingMulaw sends that at every rate. An encoding in URL's or
	// Query's parameters counts as Encoding.
	Encoding string
}

// The encodings a stream can send, as Deepgram names them.
const (
	// EncodingLinear16 is 16-bit little-endian PCM.
	EncodingLinear16 = "linear16"
	// EncodingMulaw is G.711 μ-law, one byte a sample.
	EncodingMulaw = "mulaw"
)

// STT is Deepgram streaming recognition. It is safe for concurrent use:
// each Stream opens its own connection.
type STT struct {
	cfg  Config
	base *url.URL
}

var _ speech.STT = (*STT)(nil)

// New checks cfg and returns the provider; it does not connect.
func New(cfg Config) (*STT, error) {
	if cfg.Model == "" {
		cfg.Model = "nova-3"
	}
	if cfg.Language == "" && strings.HasPrefix(cfg.Model, "nova-3") {
		cfg.Language = "multi"
	}
	if cfg.Endpointing == 0 {
		cfg.Endpointing = 300 * time.Millisecond
	}
	if cfg.UtteranceEnd == 0 {
		cfg.UtteranceEnd = time.Second
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 4 * time.Second
	}
	if cfg.FinalizeTimeout <= 0 {
		cfg.FinalizeTimeout = time.Second
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = 2 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.MaxBuffered <= 0 {
		cfg.MaxBuffered = 5 * time.Second
	}
	base, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	// The encoding decides the bytes Write sends: one given as a query
	// parameter must be one the stream can send, and agree with Encoding.
	for _, q := range []url.Values{base.Query(), cfg.Query} {
		if e, ok := q["encoding"]; ok {
			if len(e) != 1 || cfg.Encoding != "" && e[0] != cfg.Encoding {
				return nil, fmt.Errorf("%w: encoding %q in the query, %q in Encoding", ErrConfig, strings.Join(e, ","), cfg.Encoding)
			}
			cfg.Encoding = e[0]
		}
	}
	switch cfg.Encoding {
	case "", EncodingLinear16, EncodingMulaw:
	default:
		return nil, fmt.Errorf("%w: encoding %q (want %s or %s)", ErrConfig, cfg.Encoding, EncodingLinear16, EncodingMulaw)
	}
	if cfg.APIKey == "" && base.Hostname() == "api.deepgram.com" {
		return nil, fmt.Errorf("%w: no API key for %s", ErrConfig, base.Host)
	}
	if strings.ContainsAny(cfg.APIKey, " \r\n") {
		return nil, fmt.Errorf("%w: the API key holds spaces or line breaks", ErrConfig)
	}
	return &STT{cfg: cfg, base: base}, nil
}

// parseURL reads Config.URL into the websocket URL of /v1/listen.
func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultURL
	}
	if !strings.Contains(raw, "://") {
		raw = "wss://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: URL: %v", ErrConfig, err)
	}
	switch u.Scheme {
	case "wss", "ws":
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	default:
		return nil, fmt.Errorf("%w: URL scheme %q (want wss, ws, https or http)", ErrConfig, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: URL %q has no host", ErrConfig, u.Redacted())
	}
	u.User = nil
	u.Fragment = ""
	path := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(path, "/v1/listen"):
	case strings.HasSuffix(path, "/v1"):
		path += "/listen"
	default:
		path += "/v1/listen"
	}
	u.Path, u.RawPath = path, ""
	return u, nil
}

// String names the provider for logs, without the key:
// "deepgram nova-3 at api.deepgram.com".
func (s *STT) String() string {
	return "deepgram " + s.cfg.Model + " at " + s.base.Host
}

// encoding is what a stream at rate Hz sends.
func (s *STT) encoding(rate int) string {
	switch {
	case s.cfg.Encoding != "":
		return s.cfg.Encoding
	case rate == 8000:
		return EncodingMulaw
	}
	return EncodingLinear16
}

// endpoint is the URL of a stream at rate Hz.
func (s *STT) endpoint(rate int) string {
	q := url.Values{
		"sample_rate":     {strconv.Itoa(rate)},
		"channels":        {"1"},
		"model":           {s.cfg.Model},
		"interim_results": {"true"},
		"vad_events":      {"true"},
		"smart_format":    {"true"},
		"punctuate":       {"true"},
	}
	if s.cfg.Language != "" {
		q.Set("language", s.cfg.Language)
	}
	if s.cfg.Endpointing > 0 {
		q.Set("endpointing", strconv.FormatInt(s.cfg.Endpointing.Milliseconds(), 10))
	} else {
		q.Set("endpointing", "false")
	}
	if s.cfg.UtteranceEnd > 0 {
		q.Set("utterance_end_ms", strconv.FormatInt(s.cfg.UtteranceEnd.Milliseconds(), 10))
	}
	for k, v := range s.base.Query() {
		q[k] = v
	}
	for k, v := range s.cfg.Query {
		q[k] = v
	}
	q.Set("encoding", s.encoding(rate)) // what Write sends, whatever the query said
	u := *s.base
	u.RawQuery = q.Encode()
	return u.String()
}

// Stream opens a stream for 16-bit mono PCM at rate Hz (8000 to 48000),
// sent as Config.Encoding says (μ-law at 8 kHz by default).
// Cancelling ctx ends it: Recv then returns ctx's error after the
// transcripts already received. A refused key gives ErrUnauthorized, any
// other failure ErrConnect.
func (s *STT) Stream(ctx context.Context, rate int) (speech.Stream, error) {
	if rate < 8000 || rate > 48000 {
		return nil, fmt.Errorf("%w: sample rate %d Hz", ErrConfig, rate)
	}
	header := http.Header{}
	for k, v := range s.cfg.Header {
		header[k] = append([]string(nil), v...)
	}
	if s.cfg.APIKey != "" {
		header.Set("Authorization", "Token "+s.cfg.APIKey)
	}
	dialer := websocket.Dialer{
		NetDialContext:   s.cfg.NetDialContext,
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: s.cfg.DialTimeout,
		ReadBufferSize:   16 << 10,
		WriteBufferSize:  16 << 10,
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()
	conn, resp, err := dialer.DialContext(dctx, s.endpoint(rate), header)
	if err != nil {
		return nil, s.redact(handshakeError(ctx, resp, err))
	}
	return start(ctx, conn, s.cfg, rate, s.encoding(rate) == EncodingMulaw, s.cfg.APIKey), nil
}

// handshakeError explains a failed dial, with Deepgram's reason when it
// answered.
func handshakeError(ctx context.Context, resp *http.Response, err error) error {
	if resp == nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", ErrConnect, ctx.Err())
		}
		return fmt.Errorf("%w: %w", ErrConnect, err)
	}
	defer resp.Body.Close()
	reason := resp.Header.Get("dg-error")
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if w, derr := decodeHTTPError(body); derr == nil && w != "" {
		reason = w
	} else if reason == "" {
		reason = strings.TrimSpace(string(body))
	}
	if len(reason) > 200 {
		reason = reason[:200] + "…"
	}
	msg := resp.Status
	if reason != "" {
		msg += ": " + reason
	}
	if id := resp.Header.Get("dg-request-id"); id != "" {
		msg += " (request " + id + ")"
	}
	kind := ErrConnect
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		kind = ErrUnauthorized
	}
	return fmt.Errorf("%w: %s", kind, msg)
}

// redact removes the API key from err's text, keeping its chain.
func (s *STT) redact(err error) error {
	return redact(err, s.cfg.APIKey)
}

func redact(err error, key string) error {
	if err == nil || key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), key, "[key]"), err: err}
}

// redacted is an error whose text had the key removed.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// errorBody is Deepgram's HTTP error body.
type errorBody struct {
	ErrCode string `json:"err_code"`
	ErrMsg  string `json:"err_msg"`
}

// decodeHTTPError reads Deepgram's reason out of an error body.
func decodeHTTPError(body []byte) (string, error) {
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil {
		return "", err
	}
	if e.ErrCode == "" && e.ErrMsg == "" {
		return "", errors.New("no reason given")
	}
	return strings.TrimSpace(e.ErrCode + " " + e.ErrMsg), nil
}
