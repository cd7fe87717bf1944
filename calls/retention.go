package calls

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DefaultRetention is how long finished calls are kept when Options says
// nothing: their records, transcripts and recordings.
const DefaultRetention = 7 * 24 * time.Hour

// ErrLive is Delete's error for a call still in progress.
var ErrLive = errors.New("the call is in progress")

// Run keeps the layer's house until ctx is done: it tries again the saves
// the store refused while it was down, sends the calls' events to a
// shared store, and deletes expired calls (Expire).
func (l *Layer) Run(ctx context.Context) {
	go l.keep.run(ctx)
	l.Expire(ctx)
}

// Health says whether the call store answered last, and how many calls'
// saves wait for it.
func (l *Layer) Health() (storeUp bool, pendingSaves int) { return l.keep.health() }

// Expire deletes, until ctx is done, the finished calls older than the
// retention — their records and their recordings — looking every tenth
// of the retention, at least once an hour.
func (l *Layer) Expire(ctx context.Context) {
	every := min(time.Hour, max(l.retention/10, time.Second))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		l.sweep(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweep deletes what ended before now less the retention.
func (l *Layer) sweep(now time.Time) {
	cut := now.Add(-l.retention)
	r := l.calls
	r.mu.Lock()
	var gone []string
	r.recent = slices.DeleteFunc(r.recent, func(c *record) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		old := c.v.Ended != nil && c.v.Ended.Before(cut)
		if old {
			gone = append(gone, c.v.ID)
		}
		return old
	})
	r.mu.Unlock()
	for _, id := range gone {
		l.hub.forget(id)
	}
	if l.record == "" {
		return
	}
	entries, err := os.ReadDir(l.record)
	if err != nil {
		l.log.Warn("could not read the recordings folder", "err", err)
		return
	}
	for _, e := range entries {
		if !isRecording(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cut) {
			continue
		}
		if err := os.Remove(filepath.Join(l.record, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			l.log.Warn("could not delete an expired recording", "file", e.Name(), "err", err)
		}
	}
}

// isRecording says whether name is a recording's: 20240115T093000Z-<id>.yaml.
func isRecording(name string) bool {
	stamp, rest, ok := strings.Cut(name, "-")
	if !ok || !strings.HasSuffix(rest, ".yaml") {
		return false
	}
	_, err := time.Parse("20060102T150405Z", stamp)
	return err == nil
}

// Delete removes a finished call: its record, its transcript, its events
// and its recording. It says whether there was anything to remove; a call in
// progress is not removed (ErrLive).
func (l *Layer) Delete(id string) (bool, error) {
	r := l.calls
	r.mu.Lock()
	if _, live := r.live[id]; live {
		r.mu.Unlock()
		return false, ErrLive
	}
	n := len(r.recent)
	r.recent = slices.DeleteFunc(r.recent, func(c *record) bool { return c.v.ID == id })
	found := len(r.recent) < n
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if rec, err := l.keep.store.Load(ctx, id); err == nil && !rec.Ended() {
		return false, ErrLive // going on, here or elsewhere
	}
	if gone, err := l.keep.store.Delete(ctx, id); err != nil {
		return found, err
	} else if gone {
		found = true
	}
	l.hub.forget(id)
	if l.record != "" && validID(id) {
		files, _ := filepath.Glob(filepath.Join(l.record, "*-"+id+".yaml"))
		for _, f := range files {
			if !isRecording(filepath.Base(f)) {
				continue
			}
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return found, err
			}
			found = true
		}
	}
	return found, nil
}

// validID says whether id can be a call's: letters, digits, "-" and "_"
// only, so that it is safe in a file pattern.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// deleteCall answers DELETE /v1/calls/{id}: 204 when the call's record,
// transcript and recording are gone, 404 when there was none, 409 while
// the call is in progress.
func (l *Layer) deleteCall(w http.ResponseWriter, r *http.Request) {
	found, err := l.Delete(r.PathValue("id"))
	switch {
	case errors.Is(err, ErrLive):
		http.Error(w, "the call is in progress; it can be deleted once it ends", http.StatusConflict)
	case err != nil:
		l.log.Warn("could not delete a call's recording", "call", r.PathValue("id"), "err", err)
		http.Error(w, "could not delete the call's recording", http.StatusInternalServerError)
	case !found:
		http.Error(w, "no such call", http.StatusNotFound)
	default:
		l.log.Info("call deleted", "call", r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	}
}
