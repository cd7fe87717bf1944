package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDTMFKeys(t *testing.T) {
	tests := []struct {
		arg, want, err string
	}{
		{" 987654321#", "987654321#", ""},
		{" *0# ", "*0#", ""},
		{"", "", "/dtmf takes the keys to press, like /dtmf 123#"},
		{"   ", "", "/dtmf takes the keys to press"},
		{" 12a", "", `/dtmf: 'a' is not a key of a phone: use 0-9, * and #`},
		{" 1 2", "", `' ' is not a key`},
		{" 1１", "", `'１' is not a key`},
		{" A", "", `'A' is not a key`},
		{" 1;rm", "", `';' is not a key`},
	}
	for _, tt := range tests {
		got, err := dtmfKeys(tt.arg)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("dtmfKeys(%q) = %q, %v; want %q", tt.arg, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("dtmfKeys(%q) error %v, want %q", tt.arg, err, tt.err)
		}
	}
}

// TestChatRejectsWhatIsNotAKey: a /dtmf with anything but keys is an
// error that presses nothing: the question stays, and the right keys
// answer it after.
func TestChatRejectsWhatIsNotAKey(t *testing.T) {
	input := strings.Join([]string{
		"hola, quiero agendar una cita de cardiología",
		"me llamo Juan Pérez",
		"juan arroba gmail punto com",
		"/dtmf 98765432l#",
		"/dtmf",
		"/state",
		"/dtmf 987654321#",
		"/state",
		"/quit",
	}, "\n") + "\n"
	var stdout bytes.Buffer
	code := run([]string{"chat", "--agent", "clinica-central"}, strings.NewReader(input), &stdout, io.Discard)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	_, after, ok := strings.Cut(out, "you> /dtmf 98765432l#\n  /dtmf: 'l' is not a key of a phone: use 0-9, * and #; nothing was pressed\n")
	if !ok {
		t.Fatalf("no error for a letter:\n%s", out)
	}
	for _, want := range []string{
		"you> /dtmf\n  /dtmf takes the keys to press, like /dtmf 123#; nothing was pressed\n",
		"you> /state\n  state: collecting  intent: schedule_appointment  asking: telefono\n",
		"you> /dtmf 987654321#\n",
		"telefono = 987654321",
	} {
		if !strings.Contains(after, want) {
			t.Errorf("after the error, output lacks %q:\n%s", want, after)
		}
	}
}

// TestChatSavesPrivately: /save writes the transcript readable by its
// owner only, also over a file that was not.
func TestChatSavesPrivately(t *testing.T) {
	dir := t.TempDir()
	fresh, existing := filepath.Join(dir, "fresh.yaml"), filepath.Join(dir, "existing.yaml")
	if err := os.WriteFile(existing, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	input := "hola\n/save " + fresh + "\n/save " + existing + "\n/save " + filepath.Join(dir, "no", "such", "dir.yaml") + "\n/quit\n"
	var stdout bytes.Buffer
	if code := run([]string{"chat", "--agent", "clinica-central"}, strings.NewReader(input), &stdout, io.Discard); code != 0 {
		t.Fatalf("exit %d\n%s", code, stdout.String())
	}
	for _, path := range []string{fresh, existing} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(path), mode)
		}
		data, _ := os.ReadFile(path)
		if !strings.Contains(string(data), "caller: hola") {
			t.Errorf("%s holds:\n%s", filepath.Base(path), data)
		}
	}
	if !strings.Contains(stdout.String(), "  cannot save: open "+filepath.Join(dir, "no", "such", "dir.yaml")) {
		t.Errorf("no error for a missing folder:\n%s", stdout.String())
	}
}
