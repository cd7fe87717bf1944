package deepgram_test

import (
	"context"
	"errors"
	"math"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/speech/deepgram"
	"github.com/voiceagent/voiceagent/speech/deepgram/deepgramtest"
	"github.com/voiceagent/voiceagent/speech/speechtest"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

const (
	pkg   = "github.com/voiceagent/voiceagent/speech/deepgram"
	heard = "quiero agendar una cita"
	rate  = 16000
)

func fake(t *testing.T, script deepgramtest.Script) *deepgramtest.Server {
	t.Helper()
	srv := deepgramtest.New(script)
	t.Cleanup(srv.Close)
	return srv
}

func newSTT(t *testing.T, srv *deepgramtest.Server, mod func(*deepgram.Config)) *deepgram.STT {
	t.Helper()
	cfg := deepgram.Config{URL: srv.URL, APIKey: deepgramtest.Key}
	if mod != nil {
		mod(&cfg)
	}
	stt, err := deepgram.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return stt
}

func open(t *testing.T, stt speech.STT) speech.Stream {
	t.Helper()
	s, err := stt.Stream(context.Background(), rate)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// write sends pcm in 20 ms frames at the tests' rate.
func write(t *testing.T, s speech.Stream, pcm []int16) {
	t.Helper()
	writeAt(t, s, rate, pcm)
}

// writeAt sends pcm in 20 ms frames of rate.
func writeAt(t *testing.T, s speech.Stream, rate int, pcm []int16) {
	t.Helper()
	for i := 0; i < len(pcm); i += rate / 50 {
		if err := s.Write(pcm[i:min(i+rate/50, len(pcm))]); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
}

func tone(d time.Duration) []int16    { return speechtest.Tone(rate, d) }
func silence(d time.Duration) []int16 { return make([]int16, int(d.Seconds()*rate)) }

// recv receives within 10 s.
func recv(t *testing.T, s speech.Stream) (speech.Transcript, error) {
	t.Helper()
	type result struct {
		tr  speech.Transcript
		err error
	}
	ch := make(chan result, 1)
	go func() {
		tr, err := s.Recv()
		ch <- result{tr, err}
	}()
	select {
	case r := <-ch:
		return r.tr, r.err
	case <-time.After(10 * time.Second):
		s.Close() // releases the Recv above
		t.Fatal("Recv: nothing in 10s")
		return speech.Transcript{}, nil
	}
}

// untilFinal receives the transcripts up to and including a final one.
func untilFinal(t *testing.T, s speech.Stream) []speech.Transcript {
	t.Helper()
	var got []speech.Transcript
	for {
		tr, err := recv(t, s)
		if err != nil {
			t.Fatalf("Recv: %v (after %+v)", err, got)
		}
		got = append(got, tr)
		if tr.Final {
			return got
		}
	}
}

// until receives interim transcripts until one reads text.
func until(t *testing.T, s speech.Stream, text string) {
	t.Helper()
	for {
		tr, err := recv(t, s)
		if err != nil || tr.Final {
			t.Fatalf("Recv: %+v, %v; want an interim %q", tr, err, text)
		}
		if tr.Text == text {
			return
		}
	}
}

// untilError receives until an error.
func untilError(t *testing.T, s speech.Stream) error {
	t.Helper()
	for {
		if _, err := recv(t, s); err != nil {
			return err
		}
	}
}

func TestConformance(t *testing.T) {
	speechtest.TestSTT(t, speechtest.STTConfig{
		New: func(t *testing.T) speech.STT {
			return newSTT(t, fake(t, deepgramtest.Script{Transcript: heard}), nil)
		},
		Heard:   heard,
		Package: pkg,
	})
}

func TestConformance8k(t *testing.T) {
	speechtest.TestSTT(t, speechtest.STTConfig{
		New: func(t *testing.T) speech.STT {
			return newSTT(t, fake(t, deepgramtest.Script{Transcript: heard}), nil)
		},
		Heard:   heard,
		Rate:    8000,
		Package: pkg,
	})
}

func TestHandshake(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(base string) string
		mod  func(*deepgram.Config)
		want map[string]string
	}{
		{"defaults", nil, nil, map[string]string{
			"encoding": "linear16", "sample_rate": "16000", "channels": "1", "model": "nova-3",
			"language": "multi", "interim_results": "true", "utterance_end_ms": "1000",
			"endpointing": "300", "vad_events": "true", "smart_format": "true", "punctuate": "true",
		}},
		{"model and language", nil, func(c *deepgram.Config) { c.Model, c.Language = "nova-2", "es" },
			map[string]string{"model": "nova-2", "language": "es"}},
		{"nova-2 without language", nil, func(c *deepgram.Config) { c.Model = "nova-2-phonecall" },
			map[string]string{"model": "nova-2-phonecall", "language": ""}},
		{"endpointing", nil, func(c *deepgram.Config) {
			c.Endpointing, c.UtteranceEnd = 500*time.Millisecond, 1500*time.Millisecond
		}, map[string]string{"endpointing": "500", "utterance_end_ms": "1500"}},
		{"endpointing off", nil, func(c *deepgram.Config) { c.Endpointing, c.UtteranceEnd = -1, -1 },
			map[string]string{"endpointing": "false", "utterance_end_ms": ""}},
		{"extra query", nil, func(c *deepgram.Config) {
			c.Query = url.Values{"keyterm": {"cita"}, "smart_format": {"false"}}
		}, map[string]string{"keyterm": "cita", "smart_format": "false"}},
		{"ws scheme", func(b string) string { return "ws://" + strings.TrimPrefix(b, "http://") }, nil,
			map[string]string{"encoding": "linear16"}},
		{"v1 path", func(b string) string { return b + "/v1/" }, nil, map[string]string{"encoding": "linear16"}},
		{"full path and query", func(b string) string { return b + "/v1/listen?model=custom" }, nil,
			map[string]string{"model": "custom"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fake(t, deepgramtest.Script{Transcript: heard})
			stt := newSTT(t, srv, func(c *deepgram.Config) {
				if tc.url != nil {
					c.URL = tc.url(srv.URL)
				}
				c.Header = map[string][]string{"X-Test": {"yes"}}
				if tc.mod != nil {
					tc.mod(c)
				}
			})
			s := open(t, stt)
			s.Close()
			sessions := srv.Sessions()
			if len(sessions) != 1 {
				t.Fatalf("%d sessions", len(sessions))
			}
			got := sessions[0]
			for k, v := range tc.want {
				if got.Query.Get(k) != v {
					t.Errorf("%s=%q, want %q (query %v)", k, got.Query.Get(k), v, got.Query)
				}
			}
			if a := got.Header.Get("Authorization"); a != "Token "+deepgramtest.Key {
				t.Errorf("Authorization %q", a)
			}
			if got.Header.Get("X-Test") != "yes" {
				t.Error("the extra header was not sent")
			}
			if !got.CloseStream {
				t.Error("Close did not send CloseStream")
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		cfg     deepgram.Config
		want    string
		wantErr bool
	}{
		{cfg: deepgram.Config{APIKey: "sekrit"}, want: "deepgram nova-3 at api.deepgram.com"},
		{cfg: deepgram.Config{APIKey: "sekrit", Model: "nova-2", URL: "https://dg.example.com:8443/"}, want: "deepgram nova-2 at dg.example.com:8443"},
		{cfg: deepgram.Config{URL: "dg.internal"}, want: "deepgram nova-3 at dg.internal"},
		{cfg: deepgram.Config{URL: "http://user:pw@127.0.0.1:9"}, want: "deepgram nova-3 at 127.0.0.1:9"},
		{cfg: deepgram.Config{}, wantErr: true}, // the public endpoint needs a key
		{cfg: deepgram.Config{URL: "ftp://x", APIKey: "sekrit"}, wantErr: true},
		{cfg: deepgram.Config{URL: "http://", APIKey: "sekrit"}, wantErr: true},
		{cfg: deepgram.Config{APIKey: "two words"}, wantErr: true},
	} {
		stt, err := deepgram.New(tc.cfg)
		if tc.wantErr {
			if !errors.Is(err, deepgram.ErrConfig) {
				t.Errorf("New(%+v): %v, want ErrConfig", tc.cfg, err)
			}
			if err != nil && tc.cfg.APIKey != "" && strings.Contains(err.Error(), tc.cfg.APIKey) {
				t.Errorf("the error shows the key: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%+v): %v", tc.cfg, err)
			continue
		}
		if got := stt.String(); got != tc.want || strings.Contains(got, "sekrit") || strings.Contains(got, "pw") {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	stt := newSTT(t, fake(t, deepgramtest.Script{}), nil)
	if _, err := stt.Stream(context.Background(), 0); !errors.Is(err, deepgram.ErrConfig) {
		t.Errorf("Stream at 0 Hz: %v, want ErrConfig", err)
	}
}

func TestInterimThenFinal(t *testing.T) {
	srv := fake(t, deepgramtest.Script{Transcript: heard})
	s := open(t, newSTT(t, srv, nil))
	write(t, s, tone(time.Second))
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	got := untilFinal(t, s)
	if len(got) < 2 {
		t.Fatalf("no interim before the final: %+v", got)
	}
	for _, tr := range got[:len(got)-1] {
		if tr.Final || tr.Text == "" || !strings.HasPrefix(heard, tr.Text) {
			t.Errorf("interim %+v, want a prefix of %q", tr, heard)
		}
	}
	if f := got[len(got)-1]; f.Text != heard {
		t.Errorf("final %q, want %q", f.Text, heard)
	}
	if n := srv.Sessions()[0].Count("Finalize"); n != 1 {
		t.Errorf("%d Finalize sent, want 1", n)
	}
	if a := srv.Sessions()[0].Audio; a != 2*rate {
		t.Errorf("the fake received %d bytes of audio, want %d", a, 2*rate)
	}
}

// TestNetDialContext: a stream's connection is the configured dialer's,
// and a stream works over it.
func TestNetDialContext(t *testing.T) {
	srv := fake(t, deepgramtest.Script{Transcript: heard})
	var dials atomic.Int32
	s := open(t, newSTT(t, srv, func(c *deepgram.Config) {
		c.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	}))
	write(t, s, tone(time.Second))
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := untilFinal(t, s); got[len(got)-1].Text != heard {
		t.Errorf("final %+v, want %q", got[len(got)-1], heard)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d dials through the configured dialer, want 1", n)
	}
}

func TestFlushOrder(t *testing.T) {
	srv := fake(t, deepgramtest.Script{Transcripts: []string{"uno", "dos dos", "tres tres tres", "cuatro"}})
	s := open(t, newSTT(t, srv, nil))
	// Flushes in a row, without waiting: each gets its own Final, in
	// order; a Flush with no audio gets an empty one, and sends no
	// Finalize.
	for _, d := range []time.Duration{400, 300, 0, 500} {
		write(t, s, tone(d*time.Millisecond))
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	var finals []string
	for len(finals) < 4 {
		for _, tr := range untilFinal(t, s) {
			if tr.Final {
				finals = append(finals, tr.Text)
			}
		}
	}
	want := []string{"uno", "dos dos", "", "tres tres tres"}
	if !slices.Equal(finals, want) {
		t.Errorf("finals %q, want %q", finals, want)
	}
	// No Final more: the next one is the next utterance's.
	write(t, s, tone(300*time.Millisecond))
	s.Flush()
	got := untilFinal(t, s)
	if f := got[len(got)-1]; f.Text != "cuatro" {
		t.Errorf("fifth final %q, want %q", f.Text, "cuatro")
	}
	if n := srv.Sessions()[0].Count("Finalize"); n != 4 {
		t.Errorf("%d Finalize sent, want 4", n)
	}
}

func TestFinalizeUnanswered(t *testing.T) {
	srv := fake(t, deepgramtest.Script{
		Transcripts:    []string{"uno dos tres", "cuatro cinco"},
		IgnoreFinalize: true,
		InterimEvery:   100 * time.Millisecond,
	})
	s := open(t, newSTT(t, srv, func(c *deepgram.Config) { c.FinalizeTimeout = 100 * time.Millisecond }))
	write(t, s, tone(400*time.Millisecond))
	until(t, s, "uno dos tres")
	s.Flush()
	// No answer: after the timeout the interim words are final.
	got := untilFinal(t, s)
	if f := got[len(got)-1]; f.Text != "uno dos tres" {
		t.Errorf("first final %q", f.Text)
	}
	// Deepgram's own endpointing then finalizes that audio again, once
	// the 300 ms of quiet before the next utterance reach it: it is not
	// delivered twice.
	write(t, s, silence(500*time.Millisecond))
	write(t, s, tone(300*time.Millisecond))
	until(t, s, "cuatro cinco")
	s.Flush()
	got = untilFinal(t, s)
	if f := got[len(got)-1]; f.Text != "cuatro cinco" {
		t.Errorf("second final %q, want %q (all: %+v)", f.Text, "cuatro cinco", got)
	}
	if !strings.Contains(strings.Join(srv.Sessions()[0].Sent, ""), `"speech_final":true`) {
		t.Error("the fake did not endpoint")
	}
}

func TestEndOfUtterance(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(*deepgram.Config)
		quiet time.Duration
	}{
		{"speech_final", func(c *deepgram.Config) { c.UtteranceEnd = -1 }, 400 * time.Millisecond},
		{"UtteranceEnd", func(c *deepgram.Config) { c.Endpointing = -1 }, 1200 * time.Millisecond},
		{"both, once", nil, 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fake(t, deepgramtest.Script{Transcript: heard})
			s := open(t, newSTT(t, srv, tc.mod))
			write(t, s, tone(700*time.Millisecond))
			write(t, s, silence(tc.quiet))
			if !srv.Wait(5*time.Second, func(ss []deepgramtest.Session) bool { return ss[0].Audio > 0 && len(ss[0].Sent) > 0 }) {
				t.Fatal("the fake answered nothing")
			}
			s.Flush()
			got := untilFinal(t, s)
			var eou []speech.Transcript
			for _, tr := range got {
				if tr.EndOfUtterance {
					eou = append(eou, tr)
				}
			}
			if len(eou) != 1 {
				t.Fatalf("%d ends of utterance, want 1: %+v", len(eou), got)
			}
			if eou[0].Final || !strings.HasPrefix(heard, eou[0].Text) || eou[0].Text == "" {
				t.Errorf("end of utterance %+v", eou[0])
			}
			if f := got[len(got)-1]; !strings.Contains(f.Text, heard[:6]) {
				t.Errorf("final %q", f.Text)
			}
		})
	}
}

func TestKeepAlive(t *testing.T) {
	srv := fake(t, deepgramtest.Script{Transcript: heard})
	s := open(t, newSTT(t, srv, func(c *deepgram.Config) { c.KeepAlive = 20 * time.Millisecond }))
	write(t, s, tone(100*time.Millisecond))
	// Silence: nothing is written.
	if !srv.Wait(10*time.Second, func(ss []deepgramtest.Session) bool { return ss[0].Count("KeepAlive") >= 2 }) {
		t.Fatalf("no KeepAlive during silence: %q", srv.Sessions()[0].Types())
	}
	// The stream still works.
	write(t, s, tone(300*time.Millisecond))
	s.Flush()
	if got := untilFinal(t, s); got[len(got)-1].Text != heard {
		t.Errorf("final %+v", got[len(got)-1])
	}
}

func TestIdleWithoutKeepAlive(t *testing.T) {
	srv := fake(t, deepgramtest.Script{Transcript: heard, IdleTimeout: 100 * time.Millisecond})
	s := open(t, newSTT(t, srv, func(c *deepgram.Config) { c.KeepAlive = -1 }))
	err := untilError(t, s)
	if !errors.Is(err, deepgram.ErrConnection) || !strings.Contains(err.Error(), "NET-0001") {
		t.Errorf("Recv: %v, want ErrConnection with NET-0001", err)
	}
}

func TestDropped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script deepgramtest.Script
		want   string
	}{
		{"abrupt", deepgramtest.Script{Transcript: heard, DropAfter: 200 * time.Millisecond}, ""},
		{"close code", deepgramtest.Script{Transcript: heard, DropAfter: 200 * time.Millisecond, DropCode: 1011, DropReason: "NET-0000"}, "1011 NET-0000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := speechtest.Goroutines(pkg)
			srv := fake(t, tc.script)
			s, err := newSTT(t, srv, nil).Stream(context.Background(), rate)
			if err != nil {
				t.Fatal(err)
			}
			frame := tone(20 * time.Millisecond)
			for range 20 { // 400 ms: the drop comes halfway
				if err := s.Write(frame); err != nil {
					break // it may already be seen
				}
			}
			err = untilError(t, s)
			if errors.Is(err, speech.ErrClosed) || !errors.Is(err, deepgram.ErrConnection) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Recv: %v, want ErrConnection %s", err, tc.want)
			}
			if strings.Contains(err.Error(), deepgramtest.Key) {
				t.Errorf("the error shows the key: %v", err)
			}
			if err := s.Write(frame); !errors.Is(err, deepgram.ErrConnection) {
				t.Errorf("Write after the drop: %v", err)
			}
			if err := s.Flush(); !errors.Is(err, deepgram.ErrConnection) {
				t.Errorf("Flush after the drop: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if _, err := s.Recv(); !errors.Is(err, speech.ErrClosed) {
				t.Errorf("Recv after Close: %v", err)
			}
			speechtest.NoneLeft(t, pkg, before)
		})
	}
}

func TestRefused(t *testing.T) {
	const wrong = "dg-wrong-key-0123456789"
	for _, tc := range []struct {
		name   string
		script deepgramtest.Script
		key    string
		kind   error
		status string
	}{
		{"bad key", deepgramtest.Script{}, wrong, deepgram.ErrUnauthorized, "401"},
		{"no key", deepgramtest.Script{}, "", deepgram.ErrUnauthorized, "401"},
		{"forbidden", deepgramtest.Script{Status: 403}, wrong, deepgram.ErrUnauthorized, "403"},
		{"unavailable", deepgramtest.Script{Status: 503}, wrong, deepgram.ErrConnect, "503"},
		{"too many", deepgramtest.Script{Status: 429}, wrong, deepgram.ErrConnect, "429"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := speechtest.Goroutines(pkg)
			srv := fake(t, tc.script)
			stt := newSTT(t, srv, func(c *deepgram.Config) { c.APIKey = tc.key })
			_, err := stt.Stream(context.Background(), rate)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.status) {
				t.Errorf("Stream: %v, want %v with %s", err, tc.kind, tc.status)
			}
			if err != nil && tc.key != "" && strings.Contains(err.Error(), tc.key) {
				t.Errorf("the error shows the key: %v", err)
			}
			if srv.Rejected() != 1 {
				t.Errorf("%d handshakes refused", srv.Rejected())
			}
			speechtest.NoneLeft(t, pkg, before)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := fake(t, deepgramtest.Script{})
		stt := newSTT(t, srv, nil)
		srv.Close()
		if _, err := stt.Stream(context.Background(), rate); !errors.Is(err, deepgram.ErrConnect) {
			t.Errorf("Stream: %v, want ErrConnect", err)
		}
	})
}

func TestAfterClose(t *testing.T) {
	s := open(t, newSTT(t, fake(t, deepgramtest.Script{Transcript: heard}), nil))
	write(t, s, tone(100*time.Millisecond))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(tone(20 * time.Millisecond)); !errors.Is(err, speech.ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	if err := s.Flush(); !errors.Is(err, speech.ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
	if _, err := s.Recv(); !errors.Is(err, speech.ErrClosed) {
		t.Errorf("Recv after Close: %v", err)
	}
}

func TestQueueFull(t *testing.T) {
	before := speechtest.Goroutines(pkg)
	// The fake stops reading at once: the socket's buffers fill, then the
	// queue.
	srv := fake(t, deepgramtest.Script{Transcript: heard, Stall: true})
	s, err := newSTT(t, srv, func(c *deepgram.Config) {
		c.MaxBuffered = 100 * time.Millisecond
		c.CloseTimeout = 100 * time.Millisecond
	}).Stream(context.Background(), rate)
	if err != nil {
		t.Fatal(err)
	}
	frame := tone(20 * time.Millisecond)
	full := false
	for i := 0; i < 1_000_000 && !full; i++ { // at most 5.5 hours of audio
		switch err := s.Write(frame); {
		case errors.Is(err, deepgram.ErrQueueFull):
			full = true
		case err != nil:
			t.Fatalf("Write: %v", err)
		}
	}
	if !full {
		t.Fatal("the queue never filled")
	}
	// Refused frames do not end the stream; Flush is still taken.
	if err := s.Write(frame); !errors.Is(err, deepgram.ErrQueueFull) {
		t.Errorf("Write on a full queue: %v", err)
	}
	if err := s.Flush(); err != nil {
		t.Errorf("Flush: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	speechtest.NoneLeft(t, pkg, before)
}

func TestContextDuringStall(t *testing.T) {
	before := speechtest.Goroutines(pkg)
	srv := fake(t, deepgramtest.Script{Transcript: heard, Stall: true})
	ctx, cancel := context.WithCancel(context.Background())
	s, err := newSTT(t, srv, nil).Stream(ctx, rate)
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, tone(200*time.Millisecond))
	cancel()
	if err := untilError(t, s); !errors.Is(err, context.Canceled) {
		t.Errorf("Recv: %v, want context.Canceled", err)
	}
	if err := s.Write(tone(20 * time.Millisecond)); err == nil {
		t.Error("Write after cancel succeeded")
	}
	s.Close()
	speechtest.NoneLeft(t, pkg, before)
}

// At 8 kHz the audio goes as μ-law: one byte a sample, the phone line's
// codes, decoding to the tone written.
func TestMulawOnTheWire(t *testing.T) {
	srv := fake(t, deepgramtest.Script{Transcript: heard, KeepAudio: true})
	s, err := newSTT(t, srv, nil).Stream(context.Background(), 8000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tone := speechtest.Tone(8000, time.Second)
	for i := 0; i < len(tone); i += 160 {
		if err := s.Write(tone[i : i+160]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := untilFinal(t, s); got[len(got)-1].Text != heard {
		t.Errorf("final %+v: the fake did not hear the tone as speech", got[len(got)-1])
	}
	s.Close()
	ss := srv.Sessions()[0]
	if q := ss.Query; q.Get("encoding") != "mulaw" || q.Get("sample_rate") != "8000" {
		t.Errorf("encoding=%s sample_rate=%s, want mulaw at 8000", q.Get("encoding"), q.Get("sample_rate"))
	}
	if len(ss.Received) != len(tone) || ss.Audio != len(tone) {
		t.Fatalf("%d bytes on the wire for %d samples, want one a sample", len(ss.Received), len(tone))
	}
	if want := audio.EncodeUlaw(nil, tone); !slices.Equal(ss.Received, []byte(want)) {
		t.Error("the bytes on the wire are not the μ-law codes of the tone")
	}
	// Decoded, they are the tone, to μ-law's precision: half a step, a
	// step being at most a sixteenth of the value (plus the smallest).
	dec := audio.DecodeUlaw(nil, ss.Received)
	var signal, noise float64
	for i, v := range tone {
		d := float64(dec[i]) - float64(v)
		if math.Abs(d) > math.Abs(float64(v))/32+8 {
			t.Fatalf("sample %d: %d decoded, %d written", i, dec[i], v)
		}
		signal += float64(v) * float64(v)
		noise += d * d
	}
	if snr := 10 * math.Log10(signal/noise); snr < 30 {
		t.Errorf("SNR %.1f dB", snr)
	}
}

func TestEncoding(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rate      int
		mod       func(*deepgram.Config)
		url       string // appended to the fake's URL
		want      string
		perSample int
	}{
		{"8 kHz: mulaw", 8000, nil, "", "mulaw", 1},
		{"16 kHz: linear16", 16000, nil, "", "linear16", 2},
		{"linear16 at 8 kHz", 8000, func(c *deepgram.Config) { c.Encoding = deepgram.EncodingLinear16 }, "", "linear16", 2},
		{"mulaw at 16 kHz", 16000, func(c *deepgram.Config) { c.Encoding = deepgram.EncodingMulaw }, "", "mulaw", 1},
		{"linear16 in the query", 8000, func(c *deepgram.Config) { c.Query = url.Values{"encoding": {"linear16"}} }, "", "linear16", 2},
		{"linear16 in the URL", 8000, nil, "/v1/listen?encoding=linear16", "linear16", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fake(t, deepgramtest.Script{Transcript: heard})
			stt := newSTT(t, srv, func(c *deepgram.Config) {
				c.URL += tc.url
				if tc.mod != nil {
					tc.mod(c)
				}
			})
			s, err := stt.Stream(context.Background(), tc.rate)
			if err != nil {
				t.Fatal(err)
			}
			frame := speechtest.Tone(tc.rate, 20*time.Millisecond)
			for range 10 {
				s.Write(frame)
			}
			s.Close()
			ss := srv.Sessions()[0]
			if got := ss.Query["encoding"]; len(got) != 1 || got[0] != tc.want {
				t.Errorf("encoding %q, want %s", got, tc.want)
			}
			if ss.Audio != 10*len(frame)*tc.perSample {
				t.Errorf("%d bytes for %d samples, want %d a sample", ss.Audio, 10*len(frame), tc.perSample)
			}
		})
	}
	for _, c := range []deepgram.Config{
		{APIKey: "k", Encoding: "opus"},
		{APIKey: "k", Query: url.Values{"encoding": {"alaw"}}},
		{APIKey: "k", Encoding: deepgram.EncodingMulaw, Query: url.Values{"encoding": {"linear16"}}},
		{APIKey: "k", URL: "wss://api.deepgram.com/v1/listen?encoding=linear16", Encoding: deepgram.EncodingMulaw},
	} {
		if _, err := deepgram.New(c); !errors.Is(err, deepgram.ErrConfig) {
			t.Errorf("New(%+v): %v, want ErrConfig", c, err)
		}
	}
}

// TestGathered: audio goes out 200 ms to a message (a second of 20 ms
// frames is 5 messages, not 50), and a Flush sends what has gathered at
// once, however little.
func TestGathered(t *testing.T) {
	srv := fake(t, deepgramtest.Script{Transcript: heard, KeepAudio: true})
	s, err := newSTT(t, srv, nil).Stream(context.Background(), 8000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tone := speechtest.Tone(8000, time.Second+40*time.Millisecond)
	for i := 0; i+160 <= len(tone); i += 160 {
		if err := s.Write(tone[i : i+160]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // the writer keeps up
	}
	received := func() (int, int) {
		ss := srv.Sessions()
		if len(ss) == 0 {
			return 0, 0
		}
		return ss[0].Audio, ss[0].Frames
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if n, _ := received(); n == 8000 {
			break
		}
		if time.Now().After(deadline) {
			n, _ := received()
			t.Fatalf("%d samples received, want the first second's 8000 without a Flush", n)
		}
	}
	if n, frames := received(); frames > 5 {
		t.Errorf("%d samples in %d messages, want 5 or fewer", n, frames)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	untilFinal(t, s)
	if n, _ := received(); n != len(tone) {
		t.Errorf("after the Flush %d samples received, want all %d", n, len(tone))
	}
}
