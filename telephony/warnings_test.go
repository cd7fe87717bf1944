package telephony

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestWarnings: a cause is logged once per interval, and the next line
// says how many were kept back; other causes are not held up.
func TestWarnings(t *testing.T) {
	var b bytes.Buffer
	w := &Warnings{Log: slog.New(slog.NewTextHandler(&b, nil)), Every: time.Hour}
	for range 1000 {
		w.Warn("stream refused", "reason", "busy")
	}
	w.Warn("bad signature")
	if n := strings.Count(b.String(), "\n"); n != 2 {
		t.Fatalf("%d lines for 1,001 warnings of two causes:\n%s", n, b.String())
	}
	w.Every = time.Nanosecond
	w.Warn("stream refused", "reason", "busy")
	if !strings.Contains(b.String(), "suppressed=999") {
		t.Errorf("the kept-back count is not told:\n%s", b.String())
	}
}
