package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func addDelays(fs *pflag.FlagSet, d *delays) {
	fs.DurationVar(&d.stt, "stt-delay", 0, "the fake recogniser's latency, per transcription (--stt openai)")
	fs.DurationVar(&d.llm, "llm-delay", 0, "the fake language model's latency, per turn")
	fs.DurationVar(&d.tts, "tts-delay", 0, "the fake text-to-speech's latency to its first audio, per sentence")
}

// fakesCmd serves the fake providers until interrupted, then prints what
// they answered as one JSON line.
func fakesCmd() *cobra.Command {
	var d delays
	var chaos bool
	var stt string
	cmd := &cobra.Command{
		Use:   "fakes",
		Short: "Serve the fake speech and language providers on loopback",
		Long: `fakes serves an OpenAI-compatible speech-to-text, text-to-speech and chat API on
loopback for a voiceagent serve under load: it transcribes the lines voiceload's
callers say, speaks a tone, and lets the agent's rules read every turn. It
prints "voiceload fakes: listening on URL"; start serve with OPENAI_BASE_URL=URL.
With --chaos it also serves the booking API of voiceload --chaos's agent
(POST /bookings records each request, GET /bookings lists them), printing
"voiceload fakes: bookings on URL", and speaks each of that agent's questions
in a tone of its own. With --stt deepgram it also serves a fake Deepgram live
speech-to-text (the streaming websocket protocol, linear16 or μ-law) that
recognises the same lines as they stream, printing "voiceload fakes: deepgram
on URL"; start serve with VOICEAGENT_STT=deepgram, DEEPGRAM_URL=URL and
DEEPGRAM_API_KEY=` + deepgramKey + `. On SIGINT or SIGTERM it prints what it
answered, as JSON, and stops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkSTT(stt); err != nil {
				return err
			}
			clips, err := loadScript()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			f := startFakes(clips, d, chaos, stt)
			defer f.Close()
			var api *httptest.Server
			if chaos {
				api = httptest.NewServer(newBookingAPI())
				defer api.Close()
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "voiceload fakes: listening on %s\n", f.URL)
			if api != nil {
				fmt.Fprintf(out, "voiceload fakes: bookings on %s\n", api.URL)
			}
			if f.deepgram != nil {
				fmt.Fprintf(out, "voiceload fakes: deepgram on %s\n", f.deepgram.URL)
			}
			<-ctx.Done()
			return json.NewEncoder(out).Encode(f.counts())
		},
	}
	addDelays(cmd.Flags(), &d)
	cmd.Flags().BoolVar(&chaos, "chaos", false, "serve the booking API and speak the questions of voiceload --chaos's agent in tones")
	cmd.Flags().StringVar(&stt, "stt", "openai", "openai (transcriptions only) or deepgram (also a fake Deepgram live server)")
	return cmd
}

// checkSTT checks --stt.
func checkSTT(stt string) error {
	switch stt {
	case "openai", "deepgram":
		return nil
	}
	return usageError{fmt.Errorf("--stt %q: openai or deepgram", stt)}
}

// processes are the server and the fakes voiceload started.
type processes struct {
	serverURL, authToken string
	server, fakes        *exec.Cmd
	fakesOut             *bufio.Scanner // the fakes' stdout after their first line
	serverLog            string
	stopped              bool
	counts               *fakeCounts
}

var (
	fakesReady    = regexp.MustCompile(`^voiceload fakes: listening on (\S+)$`)
	deepgramReady = regexp.MustCompile(`^voiceload fakes: deepgram on (\S+)$`)
	serverReady   = regexp.MustCompile(`^voiceagent serve: listening on (\S+)$`)
)

// startProcesses starts the fakes, then voiceagent serve on loopback
// using them.
func startProcesses(o *options, stderr io.Writer) (*processes, error) {
	bin := o.voiceagent
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("voiceagent"); err != nil {
			return nil, usageError{fmt.Errorf("give --voiceagent BIN (go build -o BIN ./cmd/voiceagent) or --url of a running server: %w", err)}
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p := &processes{authToken: o.authToken}
	if p.authToken == "" {
		b := make([]byte, 16)
		rand.Read(b)
		p.authToken = hex.EncodeToString(b)
	}
	p.fakes = exec.Command(self, "fakes", "--stt", o.stt, "--stt-delay", o.delays.stt.String(), "--llm-delay", o.delays.llm.String(), "--tts-delay", o.delays.tts.String())
	p.fakes.Stderr = stderr
	openaiURL, out, err := startAndRead(p.fakes, fakesReady)
	if err != nil {
		return nil, fmt.Errorf("starting the fakes: %w", err)
	}
	p.fakesOut = out
	fakesURL := openaiURL
	sttEnv := []string{"VOICEAGENT_STT=openai"}
	if o.stt == "deepgram" {
		m := []string(nil)
		if out.Scan() {
			m = deepgramReady.FindStringSubmatch(out.Text())
		}
		if m == nil {
			p.stop()
			return nil, fmt.Errorf("the fakes did not say where their Deepgram is (%q)", out.Text())
		}
		sttEnv = []string{"VOICEAGENT_STT=deepgram", "DEEPGRAM_API_KEY=" + deepgramKey, "DEEPGRAM_URL=" + m[1]}
		fakesURL += ", deepgram at " + m[1]
	}

	llm := "off"
	if o.llm {
		llm = "openai"
	}
	p.server = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--max-calls", strconv.Itoa(o.calls+o.calls/10+10))
	p.server.Env = append(os.Environ(),
		"OPENAI_API_KEY=sk-voiceload", "OPENAI_BASE_URL="+openaiURL,
		"VOICEAGENT_TTS=openai", "VOICEAGENT_LLM="+llm,
		"TWILIO_AUTH_TOKEN="+p.authToken, "VOICEAGENT_PUBLIC_URL=", "VOICEAGENT_RECORD=",
		// Browser calls' media on loopback, and every offer admitted:
		// they all come from this one address.
		"VOICEAGENT_WEBRTC_IPS=127.0.0.1", "VOICEAGENT_WEBRTC_OFFERS_PER_MINUTE="+strconv.Itoa(2*o.calls+100))
	p.server.Env = append(p.server.Env, sttEnv...)
	if o.transport == "webrtc" {
		p.server.Env = append(p.server.Env, "VOICEAGENT_WEBRTC=1")
	}
	logFile, err := os.CreateTemp("", "voiceload-serve-*.log")
	if err != nil {
		p.stop()
		return nil, err
	}
	defer logFile.Close()
	p.serverLog = logFile.Name()
	p.server.Stderr = logFile
	addr, rest, err := startAndRead(p.server, serverReady)
	if err != nil {
		p.server = nil
		p.stop()
		return nil, fmt.Errorf("starting %s serve (log: %s): %w", filepath.Base(bin), p.serverLog, err)
	}
	go func() { // the rest of its start-up report: not needed, but read
		for rest.Scan() {
		}
	}()
	p.serverURL = "http://" + addr
	fmt.Fprintf(stderr, "voiceload: serve at %s (log %s), fakes at %s\n", p.serverURL, p.serverLog, fakesURL)
	return p, nil
}

// startAndRead starts cmd and reads its stdout up to the line ready
// matches, returning the line's first group and the rest of stdout.
func startAndRead(cmd *exec.Cmd, ready *regexp.Regexp) (string, *bufio.Scanner, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	sc := bufio.NewScanner(out)
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				return
			}
		}
		close(found)
	}()
	select {
	case v, ok := <-found:
		if ok {
			return v, sc, nil
		}
	case <-time.After(60 * time.Second):
	}
	cmd.Process.Kill()
	cmd.Wait()
	return "", nil, fmt.Errorf("it did not say it was listening")
}

// stop ends the server, then the fakes, and returns what the fakes
// answered (nil if they did not say).
func (p *processes) stop() *fakeCounts {
	if p == nil || p.stopped {
		return p.countsOrNil()
	}
	p.stopped = true
	for _, cmd := range []*exec.Cmd{p.server, p.fakes} {
		if cmd == nil || cmd.Process == nil {
			continue
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if cmd == p.fakes && p.fakesOut != nil {
			for p.fakesOut.Scan() {
				var c fakeCounts
				if json.Unmarshal(p.fakesOut.Bytes(), &c) == nil {
					p.counts = &c
				}
			}
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	return p.counts
}

func (p *processes) countsOrNil() *fakeCounts {
	if p == nil {
		return nil
	}
	return p.counts
}

// cpuTimes are CPU times used so far.
type cpuTimes struct{ self, fakes time.Duration }

// cpu reads this process's and the fakes' CPU time from /proc (zero where
// it cannot).
func (p *processes) cpu() cpuTimes {
	t := cpuTimes{self: procCPU(os.Getpid())}
	if p != nil && p.fakes != nil && p.fakes.Process != nil {
		t.fakes = procCPU(p.fakes.Process.Pid)
	}
	return t
}

// clockTick is Linux's USER_HZ, the unit of /proc/PID/stat's times.
const clockTick = 100

// procCPU is process pid's user and system CPU time, from
// /proc/PID/stat; zero where there is no /proc.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing parenthesis. utime and stime are fields 14
	// and 15 of the whole line, 12 and 13 after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / clockTick
}
