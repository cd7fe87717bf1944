package tools

import (
	"log/slog"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Executors without a Logger log to the default; keep test output clean.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
