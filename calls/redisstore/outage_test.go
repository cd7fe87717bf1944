package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/calls/redisstore"
	"github.com/voiceagent/voiceagent/internal/redistest"
)

// TestOutage: while Redis is down every method fails fast with
// calls.ErrUnavailable, and the store works again once it is back,
// its subscribers woken again by appends. With REDIS_URL set the outage
// is of a redis-server of the test's own (redistest.Process), which loses
// its keys; otherwise of a miniredis, which keeps them.
func TestOutage(t *testing.T) {
	var url string
	var stop, start func()
	if os.Getenv("REDIS_URL") != "" {
		p := redistest.Process(t)
		url, stop, start = p.URL(), p.Stop, p.Start
	} else {
		srv := redistest.Start(t)
		url, stop, start = srv.URL, srv.Stop, srv.Restart
	}
	s, peer := open(t, url, "va:"), open(t, url, "va:")
	ctx := t.Context()
	rec := &calls.Record{View: calls.View{ID: "c1", Transport: "twilio", ProviderID: "CA1", Started: time.Now()}, Epoch: 1, Version: 1}
	if err := s.Save(ctx, rec, time.Hour); err != nil {
		t.Fatal(err)
	}
	wake, cancel, err := s.Subscribe(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()

	stop()
	ops := []struct {
		name string
		f    func(ctx context.Context) error
	}{
		{"Save", func(ctx context.Context) error { rec.Version++; return s.Save(ctx, rec, time.Hour) }},
		{"Load", func(ctx context.Context) error { _, err := s.Load(ctx, "c1"); return err }},
		{"Claim", func(ctx context.Context) error { _, err := s.Claim(ctx, "c1", "b"); return err }},
		{"Lookup", func(ctx context.Context) error { _, err := s.Lookup(ctx, "twilio", "CA1"); return err }},
		{"List", func(ctx context.Context) error { _, err := s.List(ctx, 10); return err }},
		{"Delete", func(ctx context.Context) error { _, err := s.Delete(ctx, "c1"); return err }},
		{"Begin", func(ctx context.Context) error { _, err := s.Begin(ctx, "c1", "k", "a", time.Hour); return err }},
		{"Finish", func(ctx context.Context) error {
			return s.Finish(ctx, "c1", "k", &calls.Entry{Owner: "a", Done: true}, time.Hour)
		}},
		{"Append", func(ctx context.Context) error { return s.Append(ctx, "c1", 1, []byte("data: 1\n\n"), time.Hour) }},
		{"Events", func(ctx context.Context) error { _, err := s.Events(ctx, "c1", 0); return err }},
		{"Subscribe", func(ctx context.Context) error {
			_, cancel, err := s.Subscribe(ctx, "c2")
			if err == nil {
				cancel()
			}
			return err
		}},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
	}
	for round := range 2 { // on connections that broke, then on none
		for _, op := range ops {
			t0 := time.Now()
			err := op.f(ctx)
			took := time.Since(t0)
			if !errors.Is(err, calls.ErrUnavailable) {
				t.Errorf("%s while Redis is down: %v, want ErrUnavailable", op.name, err)
			} else if errors.Is(err, calls.ErrNotFound) || errors.Is(err, calls.ErrStale) {
				t.Errorf("%s while Redis is down: %v is also another error of the store", op.name, err)
			}
			if took > 1200*time.Millisecond {
				t.Errorf("%s while Redis is down took %v", op.name, took)
			}
			if round == 0 {
				t.Logf("%s: %v in %v", op.name, err, took.Round(time.Millisecond))
			}
		}
	}

	start()
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the store did not reach Redis again within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	rec.Epoch, rec.Version = 10, 1
	if err := s.Save(ctx, rec, time.Hour); err != nil {
		t.Fatalf("Save once Redis is back: %v", err)
	}
	if got, err := peer.Load(ctx, "c1"); err != nil || got.Epoch != 10 {
		t.Fatalf("Load once Redis is back: %+v, %v", got, err)
	}
	// The subscription comes back: an append wakes the subscriber.
	for i := int64(2); ; i++ {
		drain(wake)
		if err := peer.Append(ctx, "c1", i, []byte("data: x\n\n"), time.Hour); err != nil {
			t.Fatal(err)
		}
		select {
		case <-wake:
		case <-time.After(200 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("the subscriber was not woken again within 10 s")
			}
			continue
		}
		break
	}
	drain(wake)
	if err := peer.Append(ctx, "c1", 100, []byte("data: 100\n\n"), time.Hour); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("an append after the subscription came back did not wake the subscriber")
	}
	evs, err := s.Events(ctx, "c1", 99)
	if err != nil || len(evs) != 1 || !bytes.Equal(evs[0].Data, []byte("data: 100\n\n")) {
		t.Errorf("Events once Redis is back: %v, %v", evs, err)
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func TestOpenBadURL(t *testing.T) {
	for _, u := range []string{"", "http://localhost:6379", "redis://host:notaport"} {
		if s, err := redisstore.Open(u, "va:"); err == nil {
			s.Close()
			t.Errorf("Open(%q) did not fail", u)
		}
	}
}

// BenchmarkSave is the per-turn save of a call: a record with a 4 KB
// snapshot, a new version each time.
func BenchmarkSave(b *testing.B) {
	srv := redistest.Start(b)
	s := open(b, srv.URL, srv.Prefix)
	ctx := context.Background()
	snap := bytes.Repeat([]byte(`{"k":"v"},`), 410)
	rec := &calls.Record{View: calls.View{ID: "bench", Agent: "dental", Transport: "twilio", ProviderID: "CAbench", Started: time.Now(), Live: true},
		Epoch: 1, Snapshot: snap, Transcript: []byte(`{"turns":[]}`)}
	b.SetBytes(int64(len(snap)))
	for b.Loop() {
		rec.Version++
		if err := s.Save(ctx, rec, time.Hour); err != nil {
			b.Fatal(fmt.Errorf("version %d: %w", rec.Version, err))
		}
	}
}
