// Package llm holds the language model: a chat model reached through any
// OpenAI-compatible API (github.com/sashabaranov/go-openai) that reads what
// callers say (Understand) and, for agents that ask for it, rephrases what
// the agent says (Rephrase).
//
// The model only advises. Its readings go back to the dialog engine, which
// validates every value and alone decides what runs; a read-back is
// confirmed only by the caller's own yes. Every call to the model has a
// budget: past it, or on any error, the caller's turn is understood without
// the model, and after repeated failures a breaker leaves the model alone
// for a while, so a call never goes silent waiting for it.
package llm

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Stats are the figures of one model round trip.
type Stats struct {
	// Kind is "understand" or "phrase".
	Kind string
	// FirstToken is the time to the first streamed token (the whole answer
	// when not streaming); Total to the end of the answer.
	FirstToken, Total time.Duration
	PromptTokens      int
	CompletionTokens  int
	Attempts          int
	// Outcome is "ok", or why the turn went without the model: "timeout",
	// "error", "refused", "malformed", "empty", "breaker", "canceled".
	Outcome string
}

// Options are what a Model reports to. The zero value logs nowhere and
// observes nothing.
type Options struct {
	Logger *slog.Logger
	// Observe receives the figures of every round trip, for metrics. It
	// must be safe for concurrent use and quick.
	Observe func(Stats)
	// HTTPClient overrides the HTTP client (tests; proxies).
	HTTPClient *http.Client
	// BreakerFailures is how many failed turns in a row pause the model
	// (default 3; negative: never).
	BreakerFailures int
}

// Model is a chat model behind an OpenAI-compatible API. It is safe for
// concurrent use by many calls.
type Model struct {
	cfg     Config
	client  *openai.Client
	log     *slog.Logger
	observe func(Stats)
	breaker breaker
	boxes   toolboxes
}

// New returns a model for cfg, which must be Enabled.
func New(cfg Config, o Options) (*Model, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, errors.New("llm: no model configured")
	}
	cfg = cfg.withDefaults()
	var cc openai.ClientConfig
	if cfg.Azure {
		cc = openai.DefaultAzureConfig(cfg.APIKey, strings.TrimSuffix(cfg.BaseURL, "/"))
		cc.APIVersion = cfg.APIVersion
		cc.AzureModelMapperFunc = func(model string) string { return model } // Model is the deployment
	} else {
		cc = openai.DefaultConfig(cfg.APIKey)
		cc.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	}
	hc := o.HTTPClient
	if hc == nil {
		// No overall timeout: each request carries the turn's deadline.
		// Many calls ask one server at once: keep their connections (net/http
		// keeps 2 idle per host, so most requests would dial anew over
		// HTTP/1.1).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 512, 256
		hc = &http.Client{Transport: t}
	}
	cc.HTTPClient = hc
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	observe := o.Observe
	if observe == nil {
		observe = func(Stats) {}
	}
	return &Model{cfg: cfg, client: openai.NewClientWithConfig(cc), log: log, observe: observe,
		breaker: breaker{threshold: cmp.Or(o.BreakerFailures, 3), cooldown: 30 * time.Second}}, nil
}

// Config returns the model's settings, with defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// answer is what the model returned.
type answer struct {
	content string
	refusal string
	calls   []call
}

type call struct {
	id, name, args string
}

// complete runs one chat completion within ctx, streaming unless the
// settings say not to; onContent, when not nil, receives content as it
// arrives. It retries a failure that is worth retrying (429, 5xx, a broken
// connection) once, when the retry fits before ctx's deadline and nothing
// was passed to onContent yet.
func (m *Model) complete(ctx context.Context, req openai.ChatCompletionRequest, st *Stats, onContent func(string)) (answer, error) {
	start := time.Now()
	emitted := false
	if onContent != nil {
		inner := onContent
		onContent = func(s string) { emitted = true; inner(s) }
	}
	for {
		st.Attempts++
		t0 := time.Now()
		var ans answer
		var err error
		if m.cfg.NoStream {
			ans, err = m.whole(ctx, req, st, onContent)
		} else {
			ans, err = m.stream(ctx, req, st, start, onContent)
		}
		st.Total = time.Since(start)
		if err == nil || emitted || st.Attempts >= 2 || !retryable(err) {
			return ans, err
		}
		wait := 100 * time.Millisecond
		var apiErr *openai.APIError
		if errors.As(err, &apiErr) && apiErr.HTTPStatusCode == http.StatusTooManyRequests {
			wait = 250 * time.Millisecond
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+time.Since(t0) {
			return ans, err // a second attempt would not fit in the budget
		}
		m.log.Debug("llm retry", "kind", st.Kind, "err", errText(err))
		select {
		case <-ctx.Done():
			return ans, err
		case <-time.After(wait):
		}
	}
}

func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode == http.StatusTooManyRequests || apiErr.HTTPStatusCode >= 500
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode == http.StatusTooManyRequests || reqErr.HTTPStatusCode >= 500
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (m *Model) whole(ctx context.Context, req openai.ChatCompletionRequest, st *Stats, onContent func(string)) (answer, error) {
	req.Stream = false
	req.StreamOptions = nil
	resp, err := m.client.CreateChatCompletion(ctx, req)
	if err != nil {
		return answer{}, err
	}
	st.PromptTokens, st.CompletionTokens = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
	if len(resp.Choices) == 0 {
		return answer{}, nil
	}
	msg := resp.Choices[0].Message
	ans := answer{content: msg.Content, refusal: msg.Refusal}
	for _, tc := range msg.ToolCalls {
		ans.calls = append(ans.calls, call{id: tc.ID, name: tc.Function.Name, args: tc.Function.Arguments})
	}
	if onContent != nil && ans.content != "" {
		onContent(ans.content)
	}
	return ans, nil
}

func (m *Model) stream(ctx context.Context, req openai.ChatCompletionRequest, st *Stats, start time.Time, onContent func(string)) (answer, error) {
	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	s, err := m.client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return answer{}, err
	}
	defer s.Close()
	var ans answer
	var content, refusal strings.Builder
	byIndex := map[int]int{} // tool call index → position in ans.calls
	for events := 0; ; events++ {
		chunk, err := s.Recv()
		if errors.Is(err, io.EOF) && events == 0 {
			return answer{}, errNoEvents
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return answer{}, err
		}
		if chunk.Usage != nil {
			st.PromptTokens, st.CompletionTokens = chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens
		}
		if len(chunk.Choices) == 0 {
			continue
		}
		d := chunk.Choices[0].Delta
		if st.FirstToken == 0 && (d.Content != "" || d.Refusal != "" || len(d.ToolCalls) > 0) {
			st.FirstToken = time.Since(start)
		}
		if d.Content != "" {
			content.WriteString(d.Content)
			if onContent != nil {
				onContent(d.Content)
			}
		}
		refusal.WriteString(d.Refusal)
		for _, tc := range d.ToolCalls {
			i := len(ans.calls) - 1
			switch {
			case tc.Index != nil:
				j, ok := byIndex[*tc.Index]
				if ok && tc.ID != "" && ans.calls[j].id != "" && tc.ID != ans.calls[j].id {
					ok = false // servers that give every call index 0 tell them apart by id
				}
				if !ok {
					ans.calls = append(ans.calls, call{})
					j = len(ans.calls) - 1
					byIndex[*tc.Index] = j
				}
				i = j
			case i < 0 || tc.ID != "" && tc.ID != ans.calls[i].id:
				// Servers that leave out index start a call with its id.
				ans.calls = append(ans.calls, call{})
				i = len(ans.calls) - 1
			}
			c := &ans.calls[i]
			if tc.ID != "" {
				c.id = tc.ID
			}
			c.name += tc.Function.Name
			c.args += tc.Function.Arguments
		}
	}
	ans.content, ans.refusal = content.String(), refusal.String()
	return ans, nil
}

// outcome names how a round trip ended, for Stats.
func outcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrBreakerOpen):
		return "breaker"
	case errors.Is(err, ErrRefused):
		return "refused"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrEmpty):
		return "empty"
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

// errText describes an error for a log line: the API's status and type,
// never a body that might quote the caller.
func errText(err error) string {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return "status " + http.StatusText(apiErr.HTTPStatusCode) + " (" + apiErr.Type + ")"
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return "status " + http.StatusText(reqErr.HTTPStatusCode)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "over budget"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return "network: " + errText(urlErr.Err) // not the URL: a proxy's may carry a key
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return "network: " + netErr.Error()
	}
	if errors.Is(err, ErrBreakerOpen) || errors.Is(err, ErrRefused) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrEmpty) {
		return err.Error()
	}
	return "unexpected answer"
}

// finish records a round trip: breaker, log line, observer.
func (m *Model) finish(ctx context.Context, st *Stats, trial bool, err error) {
	st.Outcome = outcome(ctx, err)
	switch st.Outcome {
	case "ok", "empty":
		m.breaker.success()
	case "breaker":
	case "canceled":
		m.breaker.release(trial)
	default:
		m.breaker.failure(time.Now())
	}
	attrs := []any{"kind", st.Kind, "outcome", st.Outcome, "first_token_ms", st.FirstToken.Milliseconds(),
		"total_ms", st.Total.Milliseconds(), "prompt_tokens", st.PromptTokens, "completion_tokens", st.CompletionTokens,
		"attempts", st.Attempts}
	if err != nil && st.Outcome != "breaker" {
		m.log.Warn("llm turn without the model", append(attrs, "err", errText(err))...)
	} else {
		m.log.Info("llm turn", attrs...)
	}
	m.observe(*st)
}

// breaker stops asking a failing model: after threshold failures in a row
// it stays open for cooldown, then lets one request through to try again.
type breaker struct {
	threshold int
	cooldown  time.Duration

	mu       sync.Mutex
	failures int
	openAt   time.Time // zero: closed
	trial    bool      // a request is trying the model after the cooldown
}

// allow reports whether a request may go to the model, and whether it is
// the one trial request after the cooldown.
func (b *breaker) allow(now time.Time) (ok, trial bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.threshold < 0 || b.openAt.IsZero() {
		return true, false
	}
	if now.Sub(b.openAt) < b.cooldown || b.trial {
		return false, false
	}
	b.trial = true
	return true, true
}

// release ends the trial when it neither failed nor succeeded (the caller
// hung up), so that the next request tries again.
func (b *breaker) release(trial bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if trial {
		b.trial = false
	}
}

func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.openAt, b.trial = 0, time.Time{}, false
}

func (b *breaker) failure(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.threshold < 0 {
		return
	}
	if b.trial || b.failures >= b.threshold {
		b.openAt, b.trial = now, false
	}
}

// fixedTemperature: reasoning models (o1, o3, o4, gpt-5…) accept only
// their default temperature.
func fixedTemperature(model string) bool {
	m := strings.ToLower(model)
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

// setTemperature asks for deterministic answers where the model allows it.
func (m *Model) setTemperature(req *openai.ChatCompletionRequest) {
	if !fixedTemperature(m.cfg.Model) {
		req.Temperature = math.SmallestNonzeroFloat32 // go-openai leaves out 0; this is 0 to the server
	}
}
