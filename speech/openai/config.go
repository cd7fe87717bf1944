package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Config configures the speech clients. Its zero value means the
// defaults: OpenAI's public API, whisper-1 to transcribe,
// gpt-4o-mini-tts with the voice alloy to speak, 10 s per request.
type Config struct {
	// BaseURL is the API's base (default https://api.openai.com/v1): any
	// OpenAI-compatible server, e.g. http://localhost:8000/v1.
	BaseURL string
	// APIKey is sent as a bearer token (as api-key to Azure); empty sends
	// none, for local servers.
	APIKey string
	// Model is the model, or the Azure deployment: DefaultSTTModel
	// (whisper-1) for NewSTT and DefaultTTSModel (gpt-4o-mini-tts) for
	// NewTTS unless set; gpt-4o-mini-transcribe, tts-1 and the like work.
	Model string
	// Azure selects Azure OpenAI's URL scheme and api-key header; it is
	// set by itself for *.openai.azure.com base URLs. APIVersion is
	// Azure's api-version (default 2025-03-01-preview).
	Azure      bool
	APIVersion string
	// Timeout bounds each request (default 10s): a whole transcription;
	// for speech, the wait for the answer to start and then for each
	// piece of audio.
	Timeout time.Duration
	// HTTPClient sends the requests (default: net/http's defaults, but
	// keeping up to 256 idle connections to the server, not 2, for the
	// many calls that use it at once). Its own Timeout, if any, must allow
	// for streamed speech.
	HTTPClient *http.Client
	// Logger receives the failures of utterances that a stream survives
	// (default slog.Default()).
	Logger *slog.Logger

	// Language is the language spoken to STT, "es" or "en" (ISO-639-1),
	// which improves accuracy and latency; empty lets the model detect it.
	Language string
	// Prompt is text that guides STT: names and words the callers are
	// likely to say.
	Prompt string
	// MaxUtterance bounds the audio of one utterance (default 60s); audio
	// beyond it is dropped and the transcript covers its start.
	MaxUtterance time.Duration
	// MaxPending is how many utterances are transcribed at once (default
	// 4); as many more may queue behind them, and as many finals wait for
	// Recv, before Flush fails with ErrBacklog.
	MaxPending int
	// MaxFailures is how many utterances in a row may fail before the
	// stream gives up and ends with the last failure (default 3): by
	// then the caller has been asked to repeat enough times.
	MaxFailures int

	// Voice is the TTS voice (default alloy); Voices overrides it per
	// language ("es": "nova").
	Voice  string
	Voices map[string]string
	// Instructions tell gpt-4o-mini-tts how to speak ("warm and calm");
	// Speed is 0.25 to 4 (0: the server's default, 1).
	Instructions string
	Speed        float64
}

// Defaults.
const (
	DefaultBaseURL      = "https://api.openai.com/v1"
	DefaultSTTModel     = "whisper-1"
	DefaultTTSModel     = "gpt-4o-mini-tts"
	DefaultVoice        = "alloy"
	DefaultTimeout      = 10 * time.Second
	DefaultMaxUtterance = 60 * time.Second
	DefaultMaxPending   = 4
	DefaultMaxFailures  = 3
	defaultAPIVersion   = "2025-03-01-preview"
)

// resolve checks c and fills in the defaults, with model the default
// model of the caller.
func (c Config) resolve(model string) (Config, error) {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("%w: base URL %q is not an http(s) URL", ErrConfig, redactURL(c.BaseURL))
	}
	if u.User != nil {
		return c, fmt.Errorf("%w: base URL %s holds credentials: set APIKey instead", ErrConfig, u.Redacted())
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if strings.HasSuffix(u.Hostname(), ".openai.azure.com") {
		c.Azure = true
	}
	if c.Azure && c.APIVersion == "" {
		c.APIVersion = defaultAPIVersion
	}
	if c.Model == "" {
		c.Model = model
	}
	if c.Timeout < 0 || c.MaxUtterance < 0 || c.MaxPending < 0 || c.MaxFailures < 0 {
		return c, fmt.Errorf("%w: timeout, utterance length, pending utterances and failures cannot be negative", ErrConfig)
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxUtterance == 0 {
		c.MaxUtterance = DefaultMaxUtterance
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.Speed != 0 && (c.Speed < 0.25 || c.Speed > 4) {
		return c, fmt.Errorf("%w: speed %v is outside 0.25 to 4", ErrConfig, c.Speed)
	}
	if c.Voice == "" {
		c.Voice = DefaultVoice
	}
	if c.HTTPClient == nil {
		c.HTTPClient = defaultClient
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// endpoint is the URL of an audio endpoint ("transcriptions", "speech").
func (c Config) endpoint(name string) string {
	if c.Azure {
		base := strings.TrimSuffix(c.BaseURL, "/openai")
		return base + "/openai/deployments/" + url.PathEscape(c.Model) + "/audio/" + name + "?api-version=" + url.QueryEscape(c.APIVersion)
	}
	return c.BaseURL + "/audio/" + name
}

// host names the server for String, without anything secret.
func (c Config) host() string {
	if u, err := url.Parse(c.BaseURL); err == nil {
		return u.Host
	}
	return "?"
}

func (c Config) authorize(h http.Header) {
	switch {
	case c.APIKey == "":
	case c.Azure:
		h.Set("api-key", c.APIKey)
	default:
		h.Set("Authorization", "Bearer "+c.APIKey)
	}
}

// redactURL hides a password in a URL that may not parse.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return "…" + s[i:]
	}
	return s
}

// errTimedOut is the cause of a request cancelled by its timeout.
var errTimedOut = errors.New("openai: request timeout")

// post sends body to url under ctx, bounded by c.Timeout until the
// answer's headers arrive (the caller bounds the body). A non-2xx answer
// becomes a *StatusError; a failure to send is ErrTimeout, ErrUnavailable
// or ctx's error.
func (c Config) post(ctx context.Context, op, url, contentType string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("openai %s: %w", op, err)
	}
	req.Header.Set("Content-Type", contentType)
	c.authorize(req.Header)
	resp, err := c.HTTPClient.Do(req)
	if err != nil {
		return nil, c.failure(context.Cause(ctx), op, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, c.statusError(op, resp)
	}
	return resp, nil
}

// failure explains an error of sending or reading, from the cause of the
// request's context, if it ended (post's callers cancel it with
// errTimedOut on a timeout).
func (c Config) failure(cause error, op string, err error) error {
	switch {
	case errors.Is(cause, errTimedOut):
		return fmt.Errorf("openai %s: %w after %v", op, ErrTimeout, c.Timeout)
	case cause != nil:
		return fmt.Errorf("openai %s: %w", op, cause)
	}
	return fmt.Errorf("openai %s: %w: %v", op, ErrUnavailable, c.redact(err.Error()))
}

// statusError reads a bounded error body into a *StatusError.
func (c Config) statusError(op string, resp *http.Response) *StatusError {
	e := &StatusError{Op: op, Status: resp.StatusCode}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var api struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := string(body)
	if json.Unmarshal(body, &api) == nil && api.Error.Message != "" {
		msg = api.Error.Message
	}
	e.Message = clean(c.redact(msg), 300)
	return e
}

// redact removes the API key from s.
func (c Config) redact(s string) string {
	if len(c.APIKey) >= 4 {
		s = strings.ReplaceAll(s, c.APIKey, "[redacted]")
	}
	return s
}

// clean makes s one printable line of at most n bytes.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		cut := n
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// defaultClient is net/http's default client but for its idle
// connections: a server with many calls sends many requests to one host at
// once, and with the default 2 kept idle most would dial a new
// connection (over HTTP/1.1; HTTP/2 shares one).
var defaultClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 512, 256
	return &http.Client{Transport: t}
}()
