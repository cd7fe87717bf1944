package redisstore_test

import (
	"testing"

	"github.com/voiceagent/voiceagent/calls/redisstore"
	"github.com/voiceagent/voiceagent/calls/storetest"
	"github.com/voiceagent/voiceagent/internal/redistest"
)

func open(t testing.TB, url, prefix string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStore runs the suite on the Redis of REDIS_URL, or on a miniredis;
// the peer is a second Store with a client of its own, as another
// instance of the server has.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		srv := redistest.Start(t)
		return storetest.Backend{Store: open(t, srv.URL, srv.Prefix), Peer: open(t, srv.URL, srv.Prefix), Advance: srv.Advance}
	})
}
