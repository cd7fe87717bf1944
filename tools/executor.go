package tools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxResponseBytes is the largest response body the executor reads.
const DefaultMaxResponseBytes = 1 << 20

// Executor sends the requests of HTTP services. Its zero value is ready to
// use; it is safe for concurrent use.
type Executor struct {
	// Client sends the requests; nil means a shared client (NewClient)
	// that keeps connections alive and refuses link-local and cloud
	// metadata addresses. A client of your own keeps that guard only if it
	// connects through a Dialer. Timeouts come from each service, not the
	// client.
	Client *http.Client
	// MaxResponseBytes bounds the body read from a service; 0 means
	// DefaultMaxResponseBytes. A larger answer fails with ErrTooLarge.
	MaxResponseBytes int64
	// Logger receives one line per attempt: intent, method, host, status and
	// duration. Never URLs, headers or bodies: they carry secrets and
	// caller data. nil means slog.Default().
	Logger *slog.Logger
}

// Result is a finished service run.
type Result struct {
	Request  *Request  // nil when the request could not be rendered
	Response *Response // nil when no answer arrived
	Outcome
	Attempts int
	Duration time.Duration
}

// defaultClient is NewClient's, shared by executors without a Client.
var defaultClient = NewClient(nil)

// Execute runs a service: renders the request, sends it with the service's
// timeout and retries, and maps the answer. It never returns an error: a
// failure is an Outcome with the fallback message and Err set. Cancelling
// ctx (the call ended) stops the request at once.
func (e *Executor) Execute(ctx context.Context, s *Service, in Input) *Result {
	start := time.Now()
	if in.Now.IsZero() {
		in.Now = start
	}
	res := &Result{}
	if s.MCP != nil {
		res.Outcome = s.Failure(in, ErrNotHTTP)
		return res
	}
	req, err := s.NewRequest(in)
	if err != nil {
		res.Outcome = s.Failure(in, err)
		return res
	}
	if len(s.Unset) > 0 {
		err := fmt.Errorf("%w: %s (the request needs it; nothing was sent)", ErrUnsetEnv, strings.Join(s.Unset, ", "))
		e.logger().Warn("service not called", "intent", s.Intent, "reason", err.Error())
		res.Outcome = s.Failure(in, err)
		return res
	}
	res.Request = req
	resp, attempts, err := e.send(ctx, s, req)
	res.Attempts, res.Duration = attempts, time.Since(start)
	if err != nil {
		res.Outcome = s.Failure(in, err)
		return res
	}
	res.Response = resp
	res.Outcome = s.Respond(in, *resp)
	return res
}

// idempotent methods are the only ones retried.
func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodPut || method == http.MethodDelete
}

func (e *Executor) send(ctx context.Context, s *Service, req *Request) (*Response, int, error) {
	attempts := 1
	if idempotent(req.Method) {
		attempts += s.Retries
	}
	var (
		resp *Response
		err  error
	)
	for n := 1; ; n++ {
		var retryAfter time.Duration
		resp, retryAfter, err = e.attempt(ctx, s, req, n)
		retry := n < attempts && ctx.Err() == nil && retryable(resp, err)
		if !retry {
			return resp, n, err
		}
		wait := max(backoff(n), retryAfter)
		select {
		case <-ctx.Done():
			return nil, n, fmt.Errorf("%w: %v", ErrTransport, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// retryable: transport failures, timeouts, 429 and 5xx answers.
func retryable(resp *Response, err error) bool {
	if err != nil {
		return errors.Is(err, ErrTransport)
	}
	return resp.Status == http.StatusTooManyRequests || resp.Status >= 500
}

// backoff is 100 ms doubling per attempt, capped at 2 s, with ±20% jitter.
func backoff(attempt int) time.Duration {
	d := min(100*time.Millisecond<<(attempt-1), 2*time.Second)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// maxRetryAfter bounds how long a Retry-After header may make a caller wait.
const maxRetryAfter = 2 * time.Second

func (e *Executor) attempt(ctx context.Context, s *Service, r *Request, n int) (*Response, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout.Std())
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrRender, redactURLError(err))
	}
	hreq.Header = r.Header
	start := time.Now()
	log := e.logger().With("intent", s.Intent, "method", r.Method, "host", hreq.URL.Host, "attempt", n)
	hresp, err := e.client().Do(hreq)
	if refused := (*RefusedError)(nil); errors.As(err, &refused) {
		log.Warn("service address refused", "reason", refused.Error())
		return nil, 0, fmt.Errorf("%w: %s: %v", ErrRefused, hreq.URL.Hostname(), refused)
	}
	if err != nil {
		log.Warn("service unreachable", "duration", time.Since(start), "reason", reason(err))
		return nil, 0, fmt.Errorf("%w: %s", ErrTransport, reason(err))
	}
	defer hresp.Body.Close()
	limit := e.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	data, err := io.ReadAll(io.LimitReader(hresp.Body, limit+1))
	if err != nil {
		log.Warn("service answer cut off", "status", hresp.StatusCode, "duration", time.Since(start), "reason", reason(err))
		return nil, 0, fmt.Errorf("%w: reading the answer: %s", ErrTransport, reason(err))
	}
	if int64(len(data)) > limit {
		log.Warn("service answer too large", "status", hresp.StatusCode, "limit", limit)
		return nil, 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	log.Info("service answered", "status", hresp.StatusCode, "duration", time.Since(start), "bytes", len(data))
	return &Response{Status: hresp.StatusCode, Body: data}, retryAfter(hresp), nil
}

func retryAfter(r *http.Response) time.Duration {
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs <= 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, maxRetryAfter)
}

// reason describes a transport error without the URL, which can carry
// caller data in its path and query.
func reason(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return redactURLError(err).Error()
}

func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (e *Executor) client() *http.Client {
	if e.Client != nil {
		return e.Client
	}
	return defaultClient
}

func (e *Executor) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}
