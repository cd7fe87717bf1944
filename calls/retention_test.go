package calls

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/session"
	"github.com/voiceagent/voiceagent/telephony"
)

// finish runs a short call through l and ends it.
func finish(t *testing.T, l *Layer, id string) telephony.Session {
	t.Helper()
	conv, err := l.Open(context.Background(), telephony.CallInfo{ID: id, From: "+34600111222", Transport: "test"})
	if err != nil {
		t.Fatal(err)
	}
	conv.Session.Handle(context.Background(), dialog.Start{At: time.Now()}, func(string) {})
	conv.Session.Handle(context.Background(), dialog.Utterance{At: time.Now(), Text: "dónde está mi pedido"}, func(string) {})
	return conv.Session
}

// TestDeleteAndRetention: DELETE /v1/calls/{id} removes a finished call's
// record, transcript and recording (not a live call's, not another's);
// the sweep removes what ended before the retention.
func TestDeleteAndRetention(t *testing.T) {
	dir := t.TempDir()
	l, err := New(Options{Agents: newSet(t), Executors: map[string]session.Executor{"tienda": &fakeExec{}}, Record: dir,
		Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	l.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	del := func(id string) int {
		req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/v1/calls/"+id, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	get := func(path string) int {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	finish(t, l, "c1").Close("caller-hangup")
	finish(t, l, "c2").Close("caller-hangup")
	live := finish(t, l, "c3")
	recordings := func() int {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		return len(files)
	}
	if n := recordings(); n != 2 {
		t.Fatalf("%d recordings; want 2", n)
	}
	for _, f := range must(filepath.Glob(filepath.Join(dir, "*.yaml"))) {
		if st, _ := os.Stat(f); st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", f, st.Mode().Perm())
		}
	}
	if code := del("c3"); code != http.StatusConflict {
		t.Errorf("DELETE of a live call: %d; want 409", code)
	}
	if code := del("c1"); code != http.StatusNoContent {
		t.Errorf("DELETE c1: %d", code)
	}
	for _, p := range []string{"/v1/calls/c1", "/v1/calls/c1/transcript"} {
		if code := get(p); code != http.StatusNotFound {
			t.Errorf("GET %s after DELETE: %d", p, code)
		}
	}
	if code := del("c1"); code != http.StatusNotFound {
		t.Errorf("DELETE c1 again: %d; want 404", code)
	}
	if code := del("..%2f..%2fetc"); code != http.StatusNotFound {
		t.Errorf("DELETE of a path: %d; want 404", code)
	}
	if n := recordings(); n != 1 || get("/v1/calls/c2") != http.StatusOK {
		t.Errorf("%d recordings left, c2 %d; want c2's only", n, get("/v1/calls/c2"))
	}

	// Within the retention nothing goes; past it, c2 and its recording do.
	l.sweep(time.Now())
	if get("/v1/calls/c2") != http.StatusOK || recordings() != 1 {
		t.Error("the sweep removed a call within the retention")
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, f := range must(filepath.Glob(filepath.Join(dir, "*.yaml"))) {
		_ = os.Chtimes(f, old, old)
	}
	l.sweep(time.Now().Add(2 * time.Hour))
	if get("/v1/calls/c2") != http.StatusNotFound || recordings() != 0 {
		t.Error("the sweep kept a call past the retention")
	}
	if get("/v1/calls/c3") != http.StatusOK {
		t.Error("the sweep removed a live call")
	}
	live.Close("caller-hangup")
	if _, err := l.Delete("c3"); errors.Is(err, ErrLive) {
		t.Error("a call that ended is still live")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
