package webrtc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/transporttest"
	"github.com/voiceagent/voiceagent/telephony/webrtc/webrtctest"
)

// The test client is a transporttest Peer.
var _ transporttest.Peer = (*webrtctest.Client)(nil)

// server runs a Transport for an Answerer on loopback: the signalling on
// an httptest server, the media on 127.0.0.1.
type server struct {
	tb  testing.TB
	tr  *Transport
	srv *httptest.Server
	cfg webrtctest.Config // what Dial dials with; URL is filled in
}

// testConfig is the transport's configuration in tests: loopback media,
// a short grace, and marks reported only on the page's echo (the fallback
// is longer than any check waits), so that nothing depends on timing.
func testConfig() Config {
	return Config{IPs: []string{"127.0.0.1"}, Grace: time.Second, PlayoutDelay: transporttest.Guard}
}

func newServer(tb testing.TB, a telephony.Answerer, cfg Config) *server {
	tb.Helper()
	if cfg.IPs == nil {
		cfg.IPs = []string{"127.0.0.1"}
	}
	tr, err := New(a, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	tr.Register(mux)
	s := &server{tb: tb, tr: tr, srv: httptest.NewServer(mux)}
	s.cfg.URL = s.srv.URL
	tb.Cleanup(func() {
		s.srv.Close()
		_ = tr.Close()
	})
	return s
}

// dial places a call with the server's client configuration.
func (s *server) dial(ctx context.Context, cfg webrtctest.Config) (*webrtctest.Client, error) {
	cfg.URL = s.srv.URL
	c, err := webrtctest.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.tb.Cleanup(c.Close)
	return c, nil
}

// Dial is transporttest's Dialer.
func (s *server) Dial(ctx context.Context) (transporttest.Peer, error) {
	return s.dial(ctx, s.cfg)
}

// TestConformance: the WebRTC transport does what every transport must.
func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, a telephony.Answerer) transporttest.Dialer {
		return newServer(t, a, testConfig())
	})
}
