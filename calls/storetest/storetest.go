// Package storetest is the conformance suite of calls.Store: what every
// store does, whatever keeps the calls (MemoryStore, calls/redisstore).
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/calls"
	"github.com/voiceagent/voiceagent/dialog"
)

// Backend is an empty store and what the suite needs beside it.
type Backend struct {
	// Store is the store under test.
	Store calls.Store
	// Peer is another Store on the same backend, as a second instance of
	// the server holds it; Store itself for a store in this process.
	Peer calls.Store
	// Advance lets d pass for what the store keeps: whatever expires
	// within d is gone after it.
	Advance func(d time.Duration)
}

// long is a time to live nothing outlives in a test; short one the
// expiry tests wait out (with Advance, which sleeps on a real Redis).
const (
	long  = time.Hour
	short = time.Second
)

// Run runs the suite; open gives each test an empty backend of its own.
func Run(t *testing.T, open func(t *testing.T) Backend) {
	tests := []struct {
		name string
		f    func(t *testing.T, b Backend)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"NoSharing", testNoSharing},
		{"Stale", testStale},
		{"Handovers", testHandovers},
		{"SnapshotDropped", testSnapshotDropped},
		{"Claim", testClaim},
		{"ClaimEnded", testClaimEnded},
		{"ClaimConcurrent", testClaimConcurrent},
		{"Lookup", testLookup},
		{"List", testList},
		{"Expiry", testExpiry},
		{"Delete", testDelete},
		{"Ledger", testLedger},
		{"LedgerExpiry", testLedgerExpiry},
		{"BeginConcurrent", testBeginConcurrent},
		{"Events", testEvents},
		{"Subscribe", testSubscribe},
		{"SubscribeThenAppend", testSubscribeThenAppend},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.f(t, open(t))
		})
	}
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// started is a start time with nanoseconds and a zone not UTC, which the
// store must give back as the same instant.
var started = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CET", 3600))

// record is a call in progress with every field of its View set.
func record(id string) *calls.Record {
	return &calls.Record{
		View: calls.View{
			ID: id, Agent: "dental", From: "+34600111222", Transport: "twilio", ProviderID: "CA" + id,
			Started: started, Live: true, Outcome: "connection-lost", Instance: "a", Handovers: 0,
			State: dialog.State{Phase: dialog.PhaseConfirming, Intent: "book", Slots: map[string]string{"date": "2026-03-15", "name": "Ana"},
				Partial: map[string]string{"time": "15:00"}, Asking: "name", Attempts: 1,
				Readback: &dialog.Readback{Intent: "book", Values: map[string]string{"date": "2026-03-15"}, Turn: 3},
				Choices:  []string{"book", "cancel"}, Last: &dialog.Recent{Intent: "check", Fields: map[string]string{"day": "mon"}, Turn: 2},
				Turn: 4, Since: started.Add(time.Minute), CallID: id, CallerNumber: "+34600111222"},
			Turns: 4,
		},
		Epoch: 1, Version: 1,
		// A snapshot is JSON (session.Snapshot); bytes that are not UTF-8
		// must come back too.
		Snapshot:   []byte("{\"dialog\": {\"state\": \"confirming\"},\n \"raw\": \"\xff\x00\xfe\"}"),
		Transcript: []byte(`{"turns": [ {"caller": "quiero una cita"} ], "empty": [], "obj": {}, "big": 12345678901234567890}`),
	}
}

// same fails the test unless got is want, field by field (times as
// instants, byte slices byte for byte, nil and empty told apart).
func same(t *testing.T, what string, got, want *calls.Record) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil record, want %s", what, want.View.ID)
	}
	if !got.View.Started.Equal(want.View.Started) {
		t.Errorf("%s: Started %v, want %v", what, got.View.Started, want.View.Started)
	}
	if (got.View.Ended == nil) != (want.View.Ended == nil) || got.View.Ended != nil && !got.View.Ended.Equal(*want.View.Ended) {
		t.Errorf("%s: Ended %v, want %v", what, got.View.Ended, want.View.Ended)
	}
	if !got.View.State.Since.Equal(want.View.State.Since) {
		t.Errorf("%s: State.Since %v, want %v", what, got.View.State.Since, want.View.State.Since)
	}
	for _, b := range []struct {
		name      string
		got, want []byte
	}{{"Snapshot", got.Snapshot, want.Snapshot}, {"Transcript", got.Transcript, want.Transcript}} {
		if !bytes.Equal(b.got, b.want) || (b.got == nil) != (b.want == nil) {
			t.Errorf("%s: %s %q, want %q", what, b.name, b.got, b.want)
		}
	}
	g, w := comparable(got), comparable(want)
	if g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// comparable is the record as JSON, its times in UTC.
func comparable(r *calls.Record) string {
	c := *r
	c.View.Started = c.View.Started.UTC()
	if c.View.Ended != nil {
		e := c.View.Ended.UTC()
		c.View.Ended = &e
	}
	c.View.State.Since = c.View.State.Since.UTC()
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func mustSave(t *testing.T, s calls.Store, rec *calls.Record, ttl time.Duration) {
	t.Helper()
	if err := s.Save(ctxOf(t), rec, ttl); err != nil {
		t.Fatalf("Save %s epoch %d version %d: %v", rec.View.ID, rec.Epoch, rec.Version, err)
	}
}

func mustLoad(t *testing.T, s calls.Store, id string) *calls.Record {
	t.Helper()
	r, err := s.Load(ctxOf(t), id)
	if err != nil {
		t.Fatalf("Load %s: %v", id, err)
	}
	return r
}

func testRoundTrip(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	rec := record("c1")
	mustSave(t, b.Store, rec, long)
	same(t, "Load", mustLoad(t, b.Store, "c1"), rec)
	same(t, "Load from the peer", mustLoad(t, b.Peer, "c1"), rec)

	// An ended call, its transfer, and a record without Snapshot or
	// Transcript, and one with empty ones.
	ended := started.Add(5 * time.Minute)
	rec2 := record("c1")
	rec2.Version = 2
	rec2.View.Ended, rec2.View.Live, rec2.View.Outcome = &ended, false, "transferred"
	rec2.View.State = dialog.State{Phase: dialog.PhaseEnded}
	rec2.Outcome, rec2.Transfer, rec2.Snapshot, rec2.Transcript = "transferred", "+34911222333", nil, []byte{}
	mustSave(t, b.Store, rec2, long)
	got := mustLoad(t, b.Store, "c1")
	same(t, "Load of the ended call", got, rec2)
	if !got.Ended() {
		t.Error("Ended() false for an ended call")
	}
	if err := b.Store.Save(ctx, record("c2"), long); err != nil {
		t.Fatal(err)
	}
	same(t, "the other call", mustLoad(t, b.Store, "c2"), record("c2"))
}

func testNotFound(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	if r, err := b.Store.Load(ctx, "nobody"); !errors.Is(err, calls.ErrNotFound) || r != nil {
		t.Errorf("Load of an unknown call: %v, %v; want ErrNotFound", r, err)
	}
	if r, err := b.Store.Claim(ctx, "nobody", "b"); !errors.Is(err, calls.ErrNotFound) || r != nil {
		t.Errorf("Claim of an unknown call: %v, %v; want ErrNotFound", r, err)
	}
	if id, err := b.Store.Lookup(ctx, "twilio", "CAnobody"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("Lookup of an unknown call: %q, %v; want ErrNotFound", id, err)
	}
	if ok, err := b.Store.Delete(ctx, "nobody"); ok || err != nil {
		t.Errorf("Delete of an unknown call: %v, %v; want false, nil", ok, err)
	}
	if evs, err := b.Store.Events(ctx, "nobody", 0); len(evs) != 0 || err != nil {
		t.Errorf("Events of an unknown call: %v, %v", evs, err)
	}
	if l, err := b.Store.List(ctx, 10); len(l) != 0 || err != nil {
		t.Errorf("List of an empty store: %v, %v", l, err)
	}
}

// testNoSharing: a store keeps nothing of the records it is given or
// returns; the caller's dialog changes its state after saving it.
func testNoSharing(t *testing.T, b Backend) {
	rec := record("c1")
	mustSave(t, b.Store, rec, long)
	rec.View.State.Slots["date"] = "changed"
	rec.View.State.Readback.Values["date"] = "changed"
	rec.Snapshot[0] = 'X'
	got := mustLoad(t, b.Store, "c1")
	same(t, "Load after the caller changed its record", got, record("c1"))
	got.View.State.Slots["date"] = "changed too"
	got.Transcript[0] = 'X'
	same(t, "Load after the caller changed a loaded record", mustLoad(t, b.Store, "c1"), record("c1"))
	l, err := b.Store.List(ctxOf(t), 1)
	if err != nil || len(l) != 1 {
		t.Fatalf("List: %v, %v", l, err)
	}
	l[0].View.State.Slots["date"] = "changed by a lister"
	same(t, "Load after the caller changed a listed record", mustLoad(t, b.Store, "c1"), record("c1"))
}

func testStale(t *testing.T, b Backend) {
	// Stored: epoch 2, version 5.
	for _, tt := range []struct {
		epoch, version int64
		stale          bool
	}{
		{1, 9, true},   // an older epoch, whatever its version
		{2, 4, true},   // the same epoch, an older version
		{2, 5, true},   // the same version again
		{2, 6, false},  // the next save
		{2, 60, false}, // a later one
		{3, 0, false},  // a later epoch
	} {
		t.Run(fmt.Sprintf("epoch%d_version%d", tt.epoch, tt.version), func(t *testing.T) {
			id := fmt.Sprintf("s%d_%d", tt.epoch, tt.version)
			base := record(id)
			base.Epoch, base.Version = 2, 5
			mustSave(t, b.Store, base, long)
			next := record(id)
			next.Epoch, next.Version = tt.epoch, tt.version
			next.View.Turns, next.View.Instance, next.Snapshot, next.Outcome = 9, "z", []byte(`{"later":true}`), "hangup"
			err := b.Store.Save(ctxOf(t), next, long)
			if tt.stale {
				if !errors.Is(err, calls.ErrStale) {
					t.Fatalf("Save: %v, want ErrStale", err)
				}
				same(t, "after a stale save", mustLoad(t, b.Store, id), base)
				return
			}
			if err != nil {
				t.Fatalf("Save: %v", err)
			}
			same(t, "after the save", mustLoad(t, b.Store, id), next)
		})
	}
}

// testHandovers: the store's count of hand-overs is kept when a save
// brings a lower one, and taken when it brings a higher one.
func testHandovers(t *testing.T, b Backend) {
	rec := record("c1")
	rec.View.Handovers = 3
	mustSave(t, b.Store, rec, long)
	rec.Version, rec.View.Handovers = 2, 1
	mustSave(t, b.Store, rec, long)
	if got := mustLoad(t, b.Store, "c1"); got.View.Handovers != 3 {
		t.Errorf("Handovers %d after saving 1 over 3, want 3", got.View.Handovers)
	}
	rec.Version, rec.View.Handovers = 3, 5
	mustSave(t, b.Store, rec, long)
	if got := mustLoad(t, b.Store, "c1"); got.View.Handovers != 5 {
		t.Errorf("Handovers %d after saving 5 over 3, want 5", got.View.Handovers)
	}
	if rec.View.Handovers != 5 {
		t.Error("Save changed the caller's record")
	}
}

func testSnapshotDropped(t *testing.T, b Backend) {
	rec := record("c1")
	mustSave(t, b.Store, rec, long)
	rec.Version, rec.Snapshot = 2, nil
	mustSave(t, b.Store, rec, long)
	if got := mustLoad(t, b.Store, "c1"); got.Snapshot != nil {
		t.Errorf("Snapshot %q after saving none, want nil", got.Snapshot)
	}
	rec.Version, rec.Transcript = 3, nil
	mustSave(t, b.Store, rec, long)
	if got := mustLoad(t, b.Store, "c1"); got.Transcript != nil {
		t.Errorf("Transcript %q after saving none, want nil", got.Transcript)
	}
}

func testClaim(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	rec := record("c1")
	rec.Epoch, rec.Version, rec.View.Handovers = 4, 7, 1
	mustSave(t, b.Store, rec, long)
	got, err := b.Store.Claim(ctx, "c1", "b")
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	want := record("c1")
	want.Epoch, want.Version, want.View.Instance, want.View.Handovers = 5, 0, "b", 2
	same(t, "Claim's record", got, want)
	same(t, "Load after Claim", mustLoad(t, b.Peer, "c1"), want)

	// The instance that held the call before cannot save over it.
	old := record("c1")
	old.Epoch, old.Version = 4, 8
	if err := b.Store.Save(ctx, old, long); !errors.Is(err, calls.ErrStale) {
		t.Errorf("Save of the old epoch after Claim: %v, want ErrStale", err)
	}
	// Nor can the new one save version 0, which Claim's record has.
	zero := record("c1")
	zero.Epoch, zero.Version, zero.View.Instance = 5, 0, "b"
	if err := b.Store.Save(ctx, zero, long); !errors.Is(err, calls.ErrStale) {
		t.Errorf("Save of epoch 5 version 0 after Claim: %v, want ErrStale", err)
	}
	same(t, "Load after refused saves", mustLoad(t, b.Store, "c1"), want)
	next := record("c1")
	next.Epoch, next.Version, next.View.Instance, next.View.Turns = 5, 1, "b", 5
	mustSave(t, b.Peer, next, long)
	next.View.Handovers = 2 // the store's count, though the save had none
	same(t, "Load after the new instance's save", mustLoad(t, b.Store, "c1"), next)

	// Claimed again, from the first instance.
	got, err = b.Peer.Claim(ctx, "c1", "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Epoch != 6 || got.Version != 0 || got.View.Instance != "a" || got.View.Handovers != 3 || got.View.Turns != 5 {
		t.Errorf("second Claim: epoch %d version %d instance %q handovers %d turns %d; want 6 0 a 3 5",
			got.Epoch, got.Version, got.View.Instance, got.View.Handovers, got.View.Turns)
	}
}

func testClaimEnded(t *testing.T, b Backend) {
	rec := record("c1")
	rec.Outcome, rec.Transfer, rec.Snapshot = "transferred", "+34911222333", nil
	mustSave(t, b.Store, rec, long)
	got, err := b.Store.Claim(ctxOf(t), "c1", "b")
	if !errors.Is(err, calls.ErrEnded) {
		t.Fatalf("Claim of an ended call: %v, want ErrEnded", err)
	}
	if got == nil {
		t.Fatal("Claim of an ended call returned no record")
	}
	same(t, "Claim's record of an ended call", got, rec)
	same(t, "Load after Claim of an ended call", mustLoad(t, b.Store, "c1"), rec)
}

func testClaimConcurrent(t *testing.T, b Backend) {
	const n = 8
	mustSave(t, b.Store, record("c1"), long)
	ctx := ctxOf(t)
	epochs := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		s := b.Store
		if i%2 == 1 {
			s = b.Peer
		}
		wg.Go(func() {
			r, err := s.Claim(ctx, "c1", fmt.Sprint("i", i))
			if err != nil {
				t.Errorf("Claim %d: %v", i, err)
				return
			}
			epochs[i] = r.Epoch
		})
	}
	wg.Wait()
	slices.Sort(epochs)
	for i, e := range epochs {
		if e != int64(i+2) {
			t.Fatalf("epochs of %d concurrent claims of epoch 1: %v, want 2…%d each once", n, epochs, n+1)
		}
	}
	if got := mustLoad(t, b.Store, "c1"); got.Epoch != n+1 || got.View.Handovers != n {
		t.Errorf("after %d claims: epoch %d handovers %d", n, got.Epoch, got.View.Handovers)
	}
}

func testLookup(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	mustSave(t, b.Store, record("c1"), long)
	web := record("c2")
	web.View.Transport, web.View.ProviderID = "webrtc", ""
	mustSave(t, b.Store, web, long)
	for _, s := range []calls.Store{b.Store, b.Peer} {
		if id, err := s.Lookup(ctx, "twilio", "CAc1"); id != "c1" || err != nil {
			t.Errorf("Lookup(twilio, CAc1) = %q, %v; want c1", id, err)
		}
	}
	for _, k := range [][2]string{{"webrtc", "CAc1"}, {"twilio", "CAc2"}, {"webrtc", ""}, {"twilio", ""}} {
		if id, err := b.Store.Lookup(ctx, k[0], k[1]); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("Lookup(%q, %q) = %q, %v; want ErrNotFound", k[0], k[1], id, err)
		}
	}
}

func testList(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	const n = 7
	for _, i := range rand.Perm(n) {
		r := record(fmt.Sprint("c", i))
		r.View.Started = started.Add(time.Duration(i) * time.Minute)
		r.Epoch = int64(i + 1)
		mustSave(t, b.Store, r, long)
	}
	if _, err := b.Store.Claim(ctx, "c5", "b"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		n    int
		want []string
	}{
		{3, []string{"c6", "c5", "c4"}},
		{1, []string{"c6"}},
		{n, []string{"c6", "c5", "c4", "c3", "c2", "c1", "c0"}},
		{100, []string{"c6", "c5", "c4", "c3", "c2", "c1", "c0"}},
		{0, nil},
	} {
		for _, s := range []calls.Store{b.Store, b.Peer} {
			l, err := s.List(ctx, tt.n)
			if err != nil {
				t.Fatalf("List(%d): %v", tt.n, err)
			}
			var ids []string
			for _, r := range l {
				ids = append(ids, r.View.ID)
				if r.Snapshot != nil || r.Transcript != nil {
					t.Errorf("List(%d): %s has Snapshot %q, Transcript %q; want neither", tt.n, r.View.ID, r.Snapshot, r.Transcript)
				}
				want := record(r.View.ID)
				i := int(r.View.ID[1] - '0')
				want.View.Started = started.Add(time.Duration(i) * time.Minute)
				want.Epoch = int64(i + 1)
				if r.View.ID == "c5" {
					want.Epoch, want.Version, want.View.Instance, want.View.Handovers = 7, 0, "b", 1
				}
				want.Snapshot, want.Transcript = nil, nil
				same(t, fmt.Sprintf("List(%d)'s %s", tt.n, r.View.ID), r, want)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("List(%d) = %v, want %v", tt.n, ids, tt.want)
			}
		}
	}
	if ok, err := b.Store.Delete(ctx, "c6"); !ok || err != nil {
		t.Fatalf("Delete: %v, %v", ok, err)
	}
	if l, _ := b.Store.List(ctx, 2); len(l) != 2 || l[0].View.ID != "c5" || l[1].View.ID != "c4" {
		t.Errorf("List(2) after deleting c6: %v", ids(l))
	}
}

func ids(l []*calls.Record) []string {
	var out []string
	for _, r := range l {
		out = append(out, r.View.ID)
	}
	return out
}

// testExpiry: a record, its carrier's id and its events expire ttl after
// they are written; a save renews them all, Claim does not.
func testExpiry(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	gone := func(id string) {
		t.Helper()
		if _, err := b.Store.Load(ctx, id); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("Load of expired %s: %v, want ErrNotFound", id, err)
		}
		if _, err := b.Store.Claim(ctx, id, "b"); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("Claim of expired %s: %v, want ErrNotFound", id, err)
		}
		if _, err := b.Store.Lookup(ctx, "twilio", "CA"+id); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("Lookup of expired %s: %v, want ErrNotFound", id, err)
		}
		if evs, err := b.Store.Events(ctx, id, 0); len(evs) != 0 || err != nil {
			t.Errorf("Events of expired %s: %v, %v", id, evs, err)
		}
	}
	list := func(want ...string) {
		t.Helper()
		if l, err := b.Store.List(ctx, 10); err != nil || !slices.Equal(ids(l), want) {
			t.Errorf("List: %v, %v; want %v", ids(l), err, want)
		}
	}
	// At 0: old expires at 1 (short), c1 at 2, kept (started long before
	// the others) at 10.
	old := record("old")
	mustSave(t, b.Store, old, short)
	c1 := record("c1")
	c1.View.Started = started.Add(time.Minute)
	mustSave(t, b.Store, c1, 2*short)
	if err := b.Store.Append(ctx, "c1", 1, []byte("data: 1\n\n"), 2*short); err != nil {
		t.Fatal(err)
	}
	kept := record("kept")
	kept.View.Started = started.Add(-time.Hour)
	mustSave(t, b.Store, kept, 10*short)

	b.Advance(short + short/2) // 1.5
	gone("old")
	list("c1", "kept")
	if _, err := b.Store.Claim(ctx, "c1", "b"); err != nil { // which does not renew it
		t.Fatal(err)
	}
	b.Advance(short) // 2.5
	gone("c1")
	list("kept")

	// c2, saved at 2.5 to expire at 4.5 with events to expire at 3.5, is
	// saved again at 3: the record, its carrier's id and its events now
	// expire at 5.
	c2 := record("c2")
	mustSave(t, b.Store, c2, 2*short)
	if err := b.Store.Append(ctx, "c2", 1, []byte("data: 1\n\n"), short); err != nil {
		t.Fatal(err)
	}
	b.Advance(short / 2) // 3
	c2.Version = 2
	mustSave(t, b.Store, c2, 2*short)
	b.Advance(short + short/2) // 4.5
	mustLoad(t, b.Store, "c2")
	if id, err := b.Store.Lookup(ctx, "twilio", "CAc2"); id != "c2" || err != nil {
		t.Errorf("Lookup after a save renewed it: %q, %v", id, err)
	}
	if evs, err := b.Store.Events(ctx, "c2", 0); len(evs) != 1 || err != nil {
		t.Errorf("Events after a save renewed them: %v, %v", evs, err)
	}
	list("c2", "kept")
	b.Advance(short) // 5.5
	gone("c2")
	list("kept")

	// An expired call saved anew starts over.
	fresh := record("c1")
	fresh.Epoch, fresh.Version = 1, 1
	mustSave(t, b.Store, fresh, long)
	same(t, "a record saved after it expired", mustLoad(t, b.Store, "c1"), fresh)
	list("c1", "kept")
}

func testDelete(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	mustSave(t, b.Store, record("c1"), long)
	mustSave(t, b.Store, record("c2"), long)
	for _, c := range []string{"c1", "c2"} {
		if err := b.Store.Append(ctx, c, 1, []byte("data: x\n\n"), long); err != nil {
			t.Fatal(err)
		}
		if e, err := b.Store.Begin(ctx, c, "k1", "a", long); e != nil || err != nil {
			t.Fatal(e, err)
		}
		if err := b.Store.Finish(ctx, c, "k2", &calls.Entry{Owner: "a", Started: started, Done: true}, long); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := b.Peer.Delete(ctx, "c1"); !ok || err != nil {
		t.Fatalf("Delete: %v, %v; want true", ok, err)
	}
	if _, err := b.Store.Load(ctx, "c1"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("Load after Delete: %v, want ErrNotFound", err)
	}
	if _, err := b.Store.Lookup(ctx, "twilio", "CAc1"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("Lookup after Delete: %v, want ErrNotFound", err)
	}
	if evs, err := b.Store.Events(ctx, "c1", 0); len(evs) != 0 || err != nil {
		t.Errorf("Events after Delete: %v, %v", evs, err)
	}
	for _, k := range []string{"k1", "k2"} {
		if e, err := b.Store.Begin(ctx, "c1", k, "b", long); e != nil || err != nil {
			t.Errorf("Begin %s after Delete: %+v, %v; want a new run", k, e, err)
		}
	}
	if l, err := b.Store.List(ctx, 10); err != nil || !slices.Equal(ids(l), []string{"c2"}) {
		t.Errorf("List after Delete: %v, %v; want [c2]", ids(l), err)
	}
	if ok, err := b.Store.Delete(ctx, "c1"); ok || err != nil {
		t.Errorf("Delete again: %v, %v; want false", ok, err)
	}
	// The other call keeps everything.
	mustLoad(t, b.Store, "c2")
	if id, err := b.Store.Lookup(ctx, "twilio", "CAc2"); id != "c2" || err != nil {
		t.Errorf("Lookup of the other call: %q, %v", id, err)
	}
	if evs, err := b.Store.Events(ctx, "c2", 0); len(evs) != 1 || err != nil {
		t.Errorf("Events of the other call: %v, %v", evs, err)
	}
	if e, err := b.Store.Begin(ctx, "c2", "k2", "b", long); e == nil || !e.Done || err != nil {
		t.Errorf("Begin of the other call's finished run: %+v, %v", e, err)
	}
}

func testLedger(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	key := calls.LedgerKey("c1", 3, "book", map[string]string{"date": "2026-03-15"})
	before := time.Now().Add(-time.Minute)
	if e, err := b.Store.Begin(ctx, "c1", key, "a", long); e != nil || err != nil {
		t.Fatalf("first Begin: %+v, %v; want nil, nil", e, err)
	}
	e, err := b.Peer.Begin(ctx, "c1", key, "b", long)
	if err != nil || e == nil {
		t.Fatalf("second Begin: %+v, %v; want the first's entry", e, err)
	}
	if e.Owner != "a" || e.Done || e.Failed || e.Message != "" || e.Started.Before(before) || e.Started.After(time.Now().Add(time.Hour)) {
		t.Errorf("second Begin: %+v; want the first's, in flight", e)
	}
	// Another run, and the same run of another call, are new.
	if e, err := b.Store.Begin(ctx, "c1", key+"x", "b", long); e != nil || err != nil {
		t.Errorf("Begin of another key: %+v, %v; want nil", e, err)
	}
	if e, err := b.Store.Begin(ctx, "c2", key, "b", long); e != nil || err != nil {
		t.Errorf("Begin of the key in another call: %+v, %v; want nil", e, err)
	}
	done := &calls.Entry{Owner: "a", Started: started, Done: true, Failed: true, Message: "No quedan citas ese día."}
	if err := b.Store.Finish(ctx, "c1", key, done, long); err != nil {
		t.Fatal(err)
	}
	for _, s := range []calls.Store{b.Store, b.Peer} {
		e, err := s.Begin(ctx, "c1", key, "c", long)
		if err != nil || e == nil {
			t.Fatalf("Begin after Finish: %+v, %v", e, err)
		}
		if e.Owner != "a" || !e.Started.Equal(started) || !e.Done || !e.Failed || e.Message != done.Message {
			t.Errorf("Begin after Finish: %+v, want %+v", e, done)
		}
	}
	// Finish without Begin records the outcome too.
	if err := b.Store.Finish(ctx, "c3", key, &calls.Entry{Owner: "b", Started: started, Done: true}, long); err != nil {
		t.Fatal(err)
	}
	if e, err := b.Store.Begin(ctx, "c3", key, "c", long); e == nil || !e.Done || e.Owner != "b" || err != nil {
		t.Errorf("Begin after a Finish alone: %+v, %v", e, err)
	}
}

func testLedgerExpiry(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	if e, err := b.Store.Begin(ctx, "c1", "k", "a", short); e != nil || err != nil {
		t.Fatal(e, err)
	}
	if e, err := b.Store.Begin(ctx, "c1", "long", "a", 10*short); e != nil || err != nil {
		t.Fatal(e, err)
	}
	b.Advance(short / 2)
	if e, err := b.Store.Begin(ctx, "c1", "k", "b", short); e == nil || e.Owner != "a" || err != nil {
		t.Fatalf("Begin before the entry expired: %+v, %v", e, err)
	}
	b.Advance(short)
	if e, err := b.Store.Begin(ctx, "c1", "k", "b", short); e != nil || err != nil {
		t.Errorf("Begin after the entry expired: %+v, %v; want a new run", e, err)
	}
	if e, err := b.Store.Begin(ctx, "c1", "long", "b", short); e == nil || e.Owner != "a" || err != nil {
		t.Errorf("Begin of an entry of a longer time: %+v, %v; want the first's", e, err)
	}
	if err := b.Store.Finish(ctx, "c1", "k", &calls.Entry{Owner: "b", Done: true}, short); err != nil {
		t.Fatal(err)
	}
	b.Advance(short + short/2)
	if e, err := b.Store.Begin(ctx, "c1", "k", "c", short); e != nil || err != nil {
		t.Errorf("Begin after the finished entry expired: %+v, %v; want a new run", e, err)
	}
}

func testBeginConcurrent(t *testing.T, b Backend) {
	const n = 8
	ctx := ctxOf(t)
	got := make([]*calls.Entry, n)
	var wg sync.WaitGroup
	for i := range n {
		s := b.Store
		if i%2 == 1 {
			s = b.Peer
		}
		wg.Go(func() {
			e, err := s.Begin(ctx, "c1", "k", fmt.Sprint("i", i), long)
			if err != nil {
				t.Errorf("Begin %d: %v", i, err)
			}
			got[i] = e
		})
	}
	wg.Wait()
	winner := -1
	for i, e := range got {
		if e == nil {
			if winner >= 0 {
				t.Fatalf("Begin %d and %d both got nil", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no Begin got nil")
	}
	for i, e := range got {
		if e != nil && e.Owner != fmt.Sprint("i", winner) {
			t.Errorf("Begin %d got owner %q, want the winner's i%d", i, e.Owner, winner)
		}
	}
}

func testEvents(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	const max = 32 // what the store keeps of a call's events
	data := func(i int) []byte {
		return fmt.Appendf(nil, "id: %d\nevent: said\ndata: {\"text\": \"línea %d\"}\n\n", i, i)
	}
	for i := 1; i <= 40; i++ {
		s := b.Store
		if i%2 == 0 {
			s = b.Peer
		}
		if err := s.Append(ctx, "c1", int64(i), data(i), long); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Store.Append(ctx, "c2", 1, []byte("data: other\n\n"), long); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		after         int64
		first, last   int
		wantNoneAfter bool
	}{
		{0, 40 - max + 1, 40, false},
		{8, 9, 40, false},
		{20, 21, 40, false},
		{39, 40, 40, false},
		{40, 0, 0, true},
		{100, 0, 0, true},
	} {
		for _, s := range []calls.Store{b.Store, b.Peer} {
			evs, err := s.Events(ctx, "c1", tt.after)
			if err != nil {
				t.Fatalf("Events(%d): %v", tt.after, err)
			}
			if tt.wantNoneAfter {
				if len(evs) != 0 {
					t.Errorf("Events(%d): %d events, want none", tt.after, len(evs))
				}
				continue
			}
			if len(evs) != tt.last-tt.first+1 {
				t.Fatalf("Events(%d): %d events, want %d…%d", tt.after, len(evs), tt.first, tt.last)
			}
			for j, e := range evs {
				if i := tt.first + j; e.ID != int64(i) || !bytes.Equal(e.Data, data(i)) {
					t.Errorf("Events(%d)[%d] = %d %q, want %d %q", tt.after, j, e.ID, e.Data, i, data(i))
				}
			}
		}
	}
	if evs, err := b.Store.Events(ctx, "c2", 0); err != nil || len(evs) != 1 || evs[0].ID != 1 || string(evs[0].Data) != "data: other\n\n" {
		t.Errorf("Events of the other call: %v, %v", evs, err)
	}
}

func testSubscribe(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	wake, cancel, err := b.Store.Subscribe(ctx, "c1")
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer cancel()
	wake2, cancel2, err := b.Store.Subscribe(ctx, "c1")
	if err != nil {
		t.Fatalf("second Subscribe: %v", err)
	}
	other, cancelOther, err := b.Peer.Subscribe(ctx, "c2")
	if err != nil {
		t.Fatalf("Subscribe to another call: %v", err)
	}
	defer cancelOther()

	// An event appended at once, on another instance, wakes both.
	if err := b.Peer.Append(ctx, "c1", 1, []byte("data: 1\n\n"), long); err != nil {
		t.Fatal(err)
	}
	woken(t, "the first subscriber", wake)
	woken(t, "the second subscriber", wake2)
	if evs, err := b.Store.Events(ctx, "c1", 0); err != nil || len(evs) != 1 {
		t.Errorf("Events once woken: %v, %v", evs, err)
	}
	// Appends never wait for a subscriber that does not read.
	for i := 2; i <= 50; i++ {
		if err := b.Store.Append(ctx, "c1", int64(i), []byte("data: x\n\n"), long); err != nil {
			t.Fatal(err)
		}
	}
	woken(t, "a subscriber that did not read", wake)
	cancel2()
	if err := b.Peer.Append(ctx, "c1", 51, []byte("data: 51\n\n"), long); err != nil {
		t.Fatal(err)
	}
	woken(t, "the subscriber left", wake)
	drain(wake2)
	notWoken(t, "the other call's subscriber", other)
	notWoken(t, "a cancelled subscriber", wake2)
	if err := b.Store.Append(ctx, "c2", 1, []byte("data: 1\n\n"), long); err != nil {
		t.Fatal(err)
	}
	woken(t, "the other call's subscriber", other)
	// Subscribing again after every subscriber left works.
	cancel()
	wake3, cancel3, err := b.Store.Subscribe(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel3()
	if err := b.Peer.Append(ctx, "c1", 52, []byte("data: 52\n\n"), long); err != nil {
		t.Fatal(err)
	}
	woken(t, "a new subscriber", wake3)
}

// testSubscribeThenAppend: once Subscribe returns, an event appended
// anywhere wakes the subscriber (Subscribe does not return before the
// backend would tell it).
func testSubscribeThenAppend(t *testing.T, b Backend) {
	ctx := ctxOf(t)
	for i := range 30 {
		call := fmt.Sprint("c", i)
		wake, cancel, err := b.Store.Subscribe(ctx, call)
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if err := b.Peer.Append(ctx, call, 1, []byte("data: 1\n\n"), long); err != nil {
			t.Fatal(err)
		}
		woken(t, "a subscriber to "+call, wake)
		cancel()
	}
}

func woken(t *testing.T, who string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s was not woken", who)
	}
}

func notWoken(t *testing.T, who string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
		t.Errorf("%s was woken", who)
	case <-time.After(100 * time.Millisecond):
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

func testPing(t *testing.T, b Backend) {
	if err := b.Store.Ping(ctxOf(t)); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
