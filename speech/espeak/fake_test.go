package espeak

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech"
)

// fake returns a TTS whose espeak-ng is this test binary in mode (see
// TestMain).
func fake(t *testing.T, mode string) *TTS {
	t.Helper()
	t.Setenv("ESPEAK_FAKE", mode)
	t.Setenv("GORACE", "atexit_sleep_ms=0") // a race-enabled fake would linger 1s at exit
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tts, err := New(Config{Path: self})
	if err != nil {
		t.Fatal(err)
	}
	return tts
}

func readAll(a speech.Audio, n int) ([]int16, error) {
	var all []int16
	buf := make([]int16, n)
	for {
		m, err := a.Read(buf)
		all = append(all, buf[:m]...)
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return all, err
		}
	}
}

// exited reports whether a's process has been waited for.
func exited(a speech.Audio) bool {
	p := a.(*audio).cmd.ProcessState
	return p != nil
}

// Samples split across the pipe's reads at odd bytes come out whole,
// whatever the reader's buffer.
func TestOddSplits(t *testing.T) {
	tts := fake(t, "odd")
	for _, n := range []int{1, 2, 3, 160, 4096} {
		a, err := tts.Synthesize(context.Background(), "hola", "es")
		if err != nil {
			t.Fatal(err)
		}
		pcm, err := readAll(a, n)
		a.Close()
		if err != nil {
			t.Fatalf("buffer of %d: %v", n, err)
		}
		if len(pcm) != 1000 {
			t.Fatalf("buffer of %d: %d samples, want 1000", n, len(pcm))
		}
		for i, s := range pcm {
			if s != fakeSample(i) {
				t.Fatalf("buffer of %d: sample %d = %d, want %d", n, i, s, fakeSample(i))
			}
		}
		if !exited(a) {
			t.Error("the process was not waited for")
		}
	}
}

// The first samples are readable while espeak-ng is still working.
func TestStreams(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "gate")
	t.Setenv("ESPEAK_FAKE_GATE", gate)
	a, err := fake(t, "gate").Synthesize(context.Background(), "hola", "es")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	buf := make([]int16, 4096)
	got := 0
	for got < 480 {
		n, err := a.Read(buf)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		got += n
	}
	if got != 480 {
		t.Fatalf("%d samples before the gate, want 480", got)
	}
	os.WriteFile(gate, nil, 0o600)
	rest, err := readAll(a, 4096)
	if err != nil || len(rest) != 480 {
		t.Errorf("after the gate: %d samples, %v", len(rest), err)
	}
}

// The text goes to standard input, the voice and speed to arguments.
func TestArguments(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	t.Setenv("ESPEAK_FAKE_OUT", out)
	t.Setenv("ESPEAK_FAKE", "odd")
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	self, _ := os.Executable()
	tts, err := New(Config{Path: self, Voices: map[string]string{"es": "es-419"}, Speed: 150})
	if err != nil {
		t.Fatal(err)
	}
	a, err := tts.Synthesize(context.Background(), " --help [[x]]\x00 me\n", "es")
	if err != nil {
		t.Fatal(err)
	}
	readAll(a, 100)
	a.Close()
	b, _ := os.ReadFile(out)
	args, text, _ := strings.Cut(string(b), "\n")
	if want := "-v\x00es-419\x00--stdout\x00-s\x00150"; args != want {
		t.Errorf("arguments %q, want %q", args, want)
	}
	if want := "--help [ [x] ]  me"; text != want {
		t.Errorf("text %q, want %q", text, want)
	}
}

// Cancelling ctx or closing while espeak-ng hangs ends Read at once and
// leaves no process behind.
func TestHangingProcess(t *testing.T) {
	for _, how := range []string{"cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, err := fake(t, "hang").Synthesize(ctx, "hola", "es")
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			buf := make([]int16, 4096)
			if n, err := a.Read(buf); n != 100 || err != nil {
				t.Fatalf("Read = %d, %v", n, err)
			}
			done := make(chan error, 1)
			go func() { _, err := a.Read(buf); done <- err }()
			time.Sleep(50 * time.Millisecond)
			want := speech.ErrClosed
			if how == "cancel" {
				cancel()
				want = context.Canceled
			} else {
				a.Close()
			}
			select {
			case err := <-done:
				if !errors.Is(err, want) {
					t.Errorf("Read: %v, want %v", err, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Read still blocked 5s later")
			}
			a.Close()
			if !exited(a) {
				t.Fatal("Close returned before the process was waited for")
			}
			pid := a.(*audio).cmd.Process.Pid
			if err := syscall.Kill(pid, 0); err == nil {
				t.Errorf("process %d still exists", pid)
			}
		})
	}
}

// Failures carry what espeak-ng said; formats other than 22050 Hz 16-bit
// mono are refused.
func TestFailures(t *testing.T) {
	for _, c := range []struct {
		mode string
		want error
		msg  string
	}{
		{"fail", ErrFailed, "Error: boom"},
		{"16k", ErrFormat, "16000 Hz"},
		{"garbage", ErrNotWAV, "hello"},
	} {
		a, err := fake(t, c.mode).Synthesize(context.Background(), "hola", "es")
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: Synthesize = %v, %v; want %v with %q", c.mode, a, err, c.want, c.msg)
		}
	}
	a, err := fake(t, "fail late").Synthesize(context.Background(), "hola", "es")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	pcm, err := readAll(a, 4096)
	if len(pcm) != 100 || !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "out of memory") {
		t.Errorf("fail late: %d samples, %v", len(pcm), err)
	}
}

// A data chunk of known size ends where the header says, even if more
// bytes follow.
func TestSizedData(t *testing.T) {
	a, err := fake(t, "sized").Synthesize(context.Background(), "hola", "es")
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := readAll(a, 7)
	if err != nil || len(pcm) != 100 {
		t.Errorf("%d samples, %v; want 100", len(pcm), err)
	}
	a.Close()
	if !exited(a) {
		t.Error("Close did not wait for the process")
	}
}

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"  hola\n", "hola"},
		{"a\x00b\x1bc", "a b c"},
		{"[[h@'loU]]", "[ [h@'loU] ]"},
		{"-v en", "-v en"},
	} {
		if got := clean(c.in); got != c.want {
			t.Errorf("clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
