// Package openaitest is a fake OpenAI-compatible server on loopback for
// tests: POST /v1/chat/completions answered as the real API does, as one
// JSON object or as server-sent events (chunks split mid-word and
// mid-argument, usage in a last chunk), with scripted errors, delays and
// hangs; and /v1/audio/transcriptions and /v1/audio/speech (audio.go). It
// decodes requests with its own types, written from the API
// reference, so a client library's mistakes are not mirrored.
package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Request is a chat completion request as the server received it.
type Request struct {
	Model         string    `json:"model"`
	Messages      []Message `json:"messages"`
	Tools         []Tool    `json:"tools"`
	Stream        bool      `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Temperature *float64    `json:"temperature"`
	MaxTokens   int         `json:"max_completion_tokens"`
	Header      http.Header `json:"-"`
	Path        string      `json:"-"`
	Query       string      `json:"-"`
}

// Message is one message of a request.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// Tool is a function the client offers the model.
type Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// ToolCall is a function call in a reply.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // JSON, or anything: the fake sends it as given
}

// Reply scripts the server's answer to one request.
type Reply struct {
	// Status, when not 0 or 200, answers with that HTTP status and an
	// OpenAI error body (429 carries Retry-After: RetryAfter seconds).
	Status     int
	RetryAfter int
	Content    string
	Refusal    string
	ToolCalls  []ToolCall
	// SameIndex streams every tool call with index 0, as some servers do,
	// leaving the ids to tell them apart.
	SameIndex bool
	// Split is how many bytes of content or arguments go in one stream
	// chunk (default 5), so words and JSON arrive in pieces.
	Split int
	// Delay comes before the first byte; Gap between stream chunks.
	Delay, Gap time.Duration
	// Hang never answers: the handler returns when the client gives up.
	Hang bool
	// Raw, when set, is written as the whole body with status 200.
	Raw string
	// Usage figures; defaults are computed from the lengths.
	PromptTokens, CompletionTokens int
}

// Server is the fake. Its zero value is not usable; call New.
type Server struct {
	// URL is the base URL clients use, ending in /v1.
	URL string

	srv   *httptest.Server
	mu    sync.Mutex
	reply func(*Request) Reply
	reqs  []*Request
	audio *audioFake // the audio endpoints (audio.go)
	// forget: requests are not kept (Unrecorded)
	forget bool
}

// New starts a server that answers every request with reply(request).
// reply runs on the server's goroutines and must be safe for concurrent
// use. Close stops the server.
func New(reply func(*Request) Reply) *Server {
	s := &Server{reply: reply}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	// Azure OpenAI: the deployment in the path, api-version in the query.
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.chat)
	s.audioRoutes(mux)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
	return s
}

// Always answers every request the same way.
func Always(r Reply) func(*Request) Reply { return func(*Request) Reply { return r } }

// Script answers the requests in order with replies, then repeats the last.
func Script(replies ...Reply) func(*Request) Reply {
	var mu sync.Mutex
	n := 0
	return func(*Request) Reply {
		mu.Lock()
		defer mu.Unlock()
		r := replies[min(n, len(replies)-1)]
		n++
		return r
	}
}

// Close stops the server; handlers still hanging are released first.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Unrecorded stops the server keeping the requests it receives, chat and
// audio, which would otherwise pile up under load; Requests,
// Transcriptions and Speeches return what came before.
func (s *Server) Unrecorded() {
	s.mu.Lock()
	s.forget = true
	s.mu.Unlock()
	s.audio.mu.Lock()
	s.audio.forget = true
	s.audio.mu.Unlock()
}

// Requests returns the requests received so far.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.reqs...)
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	req := &Request{Header: r.Header.Clone(), Path: r.URL.Path, Query: r.URL.RawQuery}
	if err := json.Unmarshal(body, req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "could not parse the JSON body: "+err.Error(), 0)
		return
	}
	s.mu.Lock()
	if !s.forget {
		s.reqs = append(s.reqs, req)
	}
	s.mu.Unlock()
	rep := s.reply(req)
	if rep.Hang {
		<-r.Context().Done()
		return
	}
	if !sleep(r, rep.Delay) {
		return
	}
	switch {
	case rep.Raw != "":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, rep.Raw)
	case rep.Status != 0 && rep.Status != http.StatusOK:
		kind := "server_error"
		if rep.Status == http.StatusTooManyRequests {
			kind = "rate_limit_exceeded"
		}
		writeError(w, rep.Status, kind, http.StatusText(rep.Status), rep.RetryAfter)
	case req.Stream:
		s.stream(w, r, req, rep)
	default:
		writeJSON(w, completion(req, rep))
	}
}

func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func writeError(w http.ResponseWriter, status int, kind, msg string, retryAfter int) {
	w.Header().Set("Content-Type", "application/json")
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": kind, "code": kind}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

type obj = map[string]any

func usage(req *Request, rep Reply) obj {
	prompt, completion := rep.PromptTokens, rep.CompletionTokens
	if prompt == 0 {
		for _, m := range req.Messages {
			prompt += len(m.Content)/4 + 4
		}
	}
	if completion == 0 {
		completion = len(rep.Content)/4 + 1
		for _, tc := range rep.ToolCalls {
			completion += len(tc.Arguments)/4 + 3
		}
	}
	return obj{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
}

func finish(rep Reply) string {
	if len(rep.ToolCalls) > 0 {
		return "tool_calls"
	}
	return "stop"
}

func completion(req *Request, rep Reply) obj {
	msg := obj{"role": "assistant", "content": nil}
	if rep.Content != "" {
		msg["content"] = rep.Content
	}
	if rep.Refusal != "" {
		msg["refusal"] = rep.Refusal
	}
	if len(rep.ToolCalls) > 0 {
		var calls []obj
		for _, tc := range rep.ToolCalls {
			calls = append(calls, obj{"id": tc.ID, "type": "function", "function": obj{"name": tc.Name, "arguments": tc.Arguments}})
		}
		msg["tool_calls"] = calls
	}
	return obj{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []obj{{"index": 0, "message": msg, "finish_reason": finish(rep)}},
		"usage":   usage(req, rep),
	}
}

// stream writes the reply as chat.completion.chunk events.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, req *Request, rep Reply) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	split := rep.Split
	if split <= 0 {
		split = 5
	}
	first := true
	send := func(chunk obj) bool {
		if !first && !sleep(r, rep.Gap) {
			return false
		}
		first = false
		chunk["id"], chunk["object"], chunk["created"], chunk["model"] = "chatcmpl-fake", "chat.completion.chunk", time.Now().Unix(), req.Model
		b, _ := json.Marshal(chunk)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	delta := func(d obj, reason any) obj {
		return obj{"choices": []obj{{"index": 0, "delta": d, "finish_reason": reason}}}
	}
	if !send(delta(obj{"role": "assistant", "content": ""}, nil)) {
		return
	}
	for _, part := range pieces(rep.Content, split) {
		if !send(delta(obj{"content": part}, nil)) {
			return
		}
	}
	for _, part := range pieces(rep.Refusal, split) {
		if !send(delta(obj{"refusal": part}, nil)) {
			return
		}
	}
	for i, tc := range rep.ToolCalls {
		if rep.SameIndex {
			i = 0
		}
		head := obj{"index": i, "id": tc.ID, "type": "function", "function": obj{"name": tc.Name, "arguments": ""}}
		if !send(delta(obj{"tool_calls": []obj{head}}, nil)) {
			return
		}
		for _, part := range pieces(tc.Arguments, split) {
			if !send(delta(obj{"tool_calls": []obj{{"index": i, "function": obj{"arguments": part}}}}, nil)) {
				return
			}
		}
	}
	if !send(delta(obj{}, finish(rep))) {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		if !send(obj{"choices": []obj{}, "usage": usage(req, rep)}) {
			return
		}
	}
	io.WriteString(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

// pieces cuts s into parts of n bytes (the last may be shorter), keeping
// UTF-8 sequences whole.
func pieces(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		end := min(n, len(s))
		for end < len(s) && s[end]&0xC0 == 0x80 {
			end++
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}
