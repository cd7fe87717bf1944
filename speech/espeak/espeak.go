package espeak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/voiceagent/voiceagent/speech"
)

// SampleRate is the rate espeak-ng speaks at.
const SampleRate = 22050

// Config configures the TTS. Its zero value means espeak-ng on PATH with
// its own voices es and en at its default speed.
type Config struct {
	// Path is the program (default espeak-ng, looked up on PATH).
	Path string
	// Voices maps a language to an espeak-ng voice, overriding the
	// default, which is the language itself ("es", "en"): e.g.
	// "es": "es-419" for Latin American Spanish, "en": "en-us+f3".
	Voices map[string]string
	// Speed is in words per minute, 80 to 450 (0: espeak-ng's 175).
	Speed int
}

// TTS speaks with espeak-ng. It is safe for concurrent use: each
// Synthesize runs its own process.
type TTS struct {
	path   string
	voices map[string]string
	speed  int
}

var _ speech.TTS = (*TTS)(nil)

// New finds espeak-ng and checks c. The error wraps ErrNotInstalled when
// the program is not there, ErrVoice or ErrConfig for settings that
// cannot work.
func New(c Config) (*TTS, error) {
	name := c.Path
	if name == "" {
		name = "espeak-ng"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%w (apt-get install espeak-ng): %v", ErrNotInstalled, err)
	}
	if c.Speed != 0 && (c.Speed < 80 || c.Speed > 450) {
		return nil, fmt.Errorf("%w: speed %d words per minute, want 80 to 450", ErrConfig, c.Speed)
	}
	voices := map[string]string{}
	for lang, v := range c.Voices {
		if !validVoice(v) {
			return nil, fmt.Errorf("%w: %q for %q", ErrVoice, v, lang)
		}
		voices[lang] = v
	}
	return &TTS{path: path, voices: voices, speed: c.Speed}, nil
}

// validVoice reports whether v looks like an espeak-ng voice ("es",
// "es-419", "en-us+f3", "mb-es1").
func validVoice(v string) bool {
	if v == "" || len(v) > 40 || !unicode.IsLetter(rune(v[0])) {
		return false
	}
	for _, r := range v {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '+' || r == '_') {
			return false
		}
	}
	return true
}

// SampleRate is 22050.
func (t *TTS) SampleRate() int { return SampleRate }

// String names the program: "espeak-ng at /usr/bin/espeak-ng".
func (t *TTS) String() string { return "espeak-ng at " + t.path }

// voice is the voice for lang: the configured one, else lang itself.
func (t *TTS) voice(lang string) (string, error) {
	if v, ok := t.voices[lang]; ok {
		return v, nil
	}
	if !validVoice(lang) {
		return "", fmt.Errorf("%w: language %q", ErrVoice, lang)
	}
	return lang, nil
}

// Synthesize starts espeak-ng on text and returns once it has written
// its WAV header, typically in tens of milliseconds. The error wraps
// ErrFailed (with what espeak-ng printed) when it cannot speak, ErrVoice
// for a language without a voice. Blank text gives audio that is over at
// once.
//
// Cancelling ctx kills the process: Read then returns ctx's error. Close
// kills it too if it is still speaking, and waits for it to exit.
func (t *TTS) Synthesize(ctx context.Context, text, lang string) (speech.Audio, error) {
	voice, err := t.voice(lang)
	if err != nil {
		return nil, err
	}
	text = clean(text)
	if text == "" {
		return &audio{err: io.EOF, closeFn: func() {}}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("espeak: %w", err)
	}
	args := []string{"-v", voice, "--stdout"}
	if t.speed != 0 {
		args = append(args, "-s", strconv.Itoa(t.speed))
	}
	cmd := exec.CommandContext(ctx, t.path, args...)
	cmd.Stdin = strings.NewReader(text)
	stderr := &prefix{max: 512}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second // for the stdin and stderr copies, should the pipes stay open
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("espeak: %w", err)
	}
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("%w: %v", ErrFailed, err)
	}
	w.Close() // the process holds its own copy
	a := &audio{cmd: cmd, out: r, samples: speech.Samples{R: r}, stderr: stderr, ctxErr: ctx.Err}
	a.closeFn = a.stop
	h, err := readHeader(r)
	if err == nil && (h.format != 1 || h.channels != 1 || h.bits != 16 || h.rate != SampleRate) {
		err = fmt.Errorf("%w: format %d, %d channels, %d bits at %d Hz; want PCM (1), mono, 16 bits at %d Hz",
			ErrFormat, h.format, h.channels, h.bits, h.rate, SampleRate)
	}
	if err != nil {
		a.Close()
		switch msg := strings.TrimSpace(stderr.String()); {
		case ctx.Err() != nil:
			err = fmt.Errorf("espeak: %w", ctx.Err())
		case a.werr != nil && msg != "": // its own story is the better one
			err = fmt.Errorf("%w: %v: %s", ErrFailed, a.werr, msg)
		}
		return nil, err
	}
	if h.size >= 0 {
		a.limit = &io.LimitedReader{R: r, N: h.size}
		a.samples.R = a.limit
	}
	return a, nil
}

// clean makes text safe to read from standard input: control characters
// become spaces (a NUL would end the text) and espeak-ng's phoneme
// brackets "[[" "]]" are broken, so that what a caller said is spoken as
// words.
func clean(text string) string {
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
	text = strings.NewReplacer("[[", "[ [", "]]", "] ]").Replace(text)
	return strings.TrimSpace(text)
}

// audio is one espeak-ng process being read.
type audio struct {
	cmd     *exec.Cmd
	out     *os.File // the read end of the process's stdout
	stderr  *prefix
	ctxErr  func() error // Synthesize's ctx.Err
	closeFn func()

	// Read's own.
	samples speech.Samples    // of out, or of limit
	limit   *io.LimitedReader // the data chunk, when the header gave its size
	err     error

	closed atomic.Bool
	once   sync.Once
	wait   sync.Once
	werr   error
}

// Read fills p with the samples espeak-ng has written, at least one
// unless there is an error; io.EOF once it has finished.
func (a *audio) Read(p []int16) (int, error) {
	if a.closed.Load() {
		return 0, speech.ErrClosed
	}
	if a.err != nil {
		return 0, a.err
	}
	n, err := a.samples.Read(p)
	if err != nil {
		a.err = a.end(err)
		if n > 0 {
			return n, nil
		}
		return 0, a.err
	}
	return n, nil
}

// end explains the end of the output: io.EOF when espeak-ng finished
// well (a dangling half sample is dropped).
func (a *audio) end(err error) error {
	switch {
	case a.closed.Load():
		return speech.ErrClosed
	case !errors.Is(err, io.EOF):
		a.stop()
		return fmt.Errorf("espeak: reading espeak-ng: %w", err)
	case a.limit != nil && a.limit.N == 0:
		return io.EOF // all the data the header announced; Close reaps the process
	}
	werr := a.reap()
	switch {
	case werr == nil:
		return io.EOF
	case a.ctxErr() != nil:
		return fmt.Errorf("espeak: %w", a.ctxErr())
	}
	if msg := strings.TrimSpace(a.stderr.String()); msg != "" {
		return fmt.Errorf("%w: %v: %s", ErrFailed, werr, msg)
	}
	return fmt.Errorf("%w: %v", ErrFailed, werr)
}

// reap waits for the process once.
func (a *audio) reap() error {
	a.wait.Do(func() { a.werr = a.cmd.Wait() })
	return a.werr
}

// Close kills espeak-ng if it is still speaking and waits for it.
func (a *audio) Close() error {
	a.once.Do(func() {
		a.closed.Store(true)
		a.closeFn()
	})
	return nil
}

// stop kills the process, waits for it and closes the pipe.
func (a *audio) stop() {
	a.cmd.Process.Kill() // an error means it has exited already
	a.reap()
	a.out.Close()
}

// prefix keeps the first max bytes written to it: what espeak-ng says
// about a failure. os/exec writes to it from one goroutine and Wait
// returns after that goroutine, so it needs no lock.
type prefix struct {
	max int
	b   []byte
}

func (p *prefix) Write(b []byte) (int, error) {
	if room := p.max - len(p.b); room > 0 {
		p.b = append(p.b, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

func (p *prefix) String() string { return string(p.b) }
