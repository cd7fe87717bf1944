package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech/speechtest"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// TestMain lets the test binary stand in for voiceload when voiceload
// starts its fakes ("voiceload fakes") as a process of its own.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "fakes" {
		os.Exit(run(os.Args[1:]))
	}
	code := m.Run()
	if built != "" {
		os.RemoveAll(filepath.Dir(built))
	}
	os.Exit(code)
}

// The fake Deepgram hears each line, streamed as μ-law, as that line; a
// voice the length of none as nothing the script says; and, while the
// voice goes on, a line it may become.
func TestRecogniseStreamed(t *testing.T) {
	clips, err := loadScript()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakes{}
	recognise := f.recognise(clips)
	for _, c := range clips {
		// The utterance as the fake has it: from its first speech, the
		// phone line's μ-law decoded, and the silence that ended it.
		pcm := audio.DecodeUlaw(nil, audio.EncodeUlaw(nil, c.PCM))
		pcm = append(pcm, make([]int16, 2400)...)
		if got := recognise(pcm, 8000, true); got != c.Text {
			t.Errorf("%q heard as %q", c.Text, got)
		}
		half := pcm[:len(c.PCM)/2]
		if got := recognise(half, 8000, false); got == "" || got == "eh" {
			t.Errorf("half of %q: interim %q", c.Text, got)
		} else if g := atLeast(clips, voiced(half, 8000)); g.Voice < voiced(half, 8000) {
			t.Errorf("half of %q: interim %q, shorter than the voice heard", c.Text, got)
		}
	}
	if got := recognise(speechtest.Tone(8000, 100*time.Millisecond), 8000, true); got != "eh" {
		t.Errorf("100 ms heard as %q", got)
	}
	if n, u := f.utterances.Load(), f.unmatched.Load(); n != int64(len(clips))+1 || u != 1 {
		t.Errorf("%d utterances, %d unmatched; interims must not count", n, u)
	}
	longest := slices.MaxFunc(clips, func(a, b clip) int { return cmp.Compare(a.Voice, b.Voice) })
	if got := atLeast(clips, longest.Voice+time.Second); got.Text != longest.Text {
		t.Errorf("a voice longer than every line: %q", got.Text)
	}
}

// The script's lines are told apart by how long their voice lasts: no two
// are within twice the fake recogniser's tolerance.
func TestScriptLinesApart(t *testing.T) {
	clips, err := loadScript()
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) < 5 {
		t.Fatalf("%d lines", len(clips))
	}
	for i, a := range clips {
		if a.Voice < 300*time.Millisecond {
			t.Errorf("%q: %v of voice", a.Text, a.Voice)
		}
		for _, b := range clips[i+1:] {
			if d := (a.Voice - b.Voice).Abs(); d <= 2*matchTolerance {
				t.Errorf("%q and %q: voices %v apart", a.Text, b.Text, d)
			}
		}
		if got, _ := nearest(clips, a.Voice+matchTolerance/2); got.Text != a.Text {
			t.Errorf("%v of voice heard as %q, want %q", a.Voice, got.Text, a.Text)
		}
	}
}

func TestHistogram(t *testing.T) {
	h := histogram{bounds: []float64{.001, .005, .01}, counts: []float64{50, 90, 100}, count: 100}
	for _, c := range []struct{ q, want float64 }{{.25, .0005}, {.5, .001}, {.7, .003}, {.95, .0075}, {1, .01}} {
		if got := h.quantile(c.q); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := h.within(.005); got != .9 {
		t.Errorf("within 5 ms: %v", got)
	}
	if got := h.within(.002); !math.IsNaN(got) {
		t.Errorf("within a bound that is not a bucket's: %v", got)
	}
	earlier := histogram{bounds: h.bounds, counts: []float64{40, 40, 40}, count: 40}
	d := h.since(earlier)
	if d.count != 60 || math.Abs(d.quantile(.5)-.003) > 1e-9 { // rank 30 of 60: half way through (.001, .005]
		t.Errorf("since: %+v, median %v", d, d.quantile(.5))
	}
	if got := (histogram{}).quantile(.5); !math.IsNaN(got) {
		t.Errorf("empty: %v", got)
	}
}

func TestProcCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
	}
	if d := procCPU(os.Getpid()); d <= 0 {
		t.Errorf("CPU time %v", d)
	}
	if d := procCPU(-1); d != 0 {
		t.Errorf("no such process: %v", d)
	}
}

// TestLoad runs voiceload as a user does, against voiceagent serve built
// from this tree: a few Twilio calls, held for a few seconds, every one
// answered.
func TestLoad(t *testing.T) { testLoad(t, "twilio", "openai") }

// TestLoadWebRTC does the same with browser calls.
func TestLoadWebRTC(t *testing.T) { testLoad(t, "webrtc", "openai") }

// TestLoadDeepgram does it with the server recognising speech through
// Deepgram's live streaming, answered by the fake Deepgram.
func TestLoadDeepgram(t *testing.T) { testLoad(t, "twilio", "deepgram") }

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// voiceagentBin builds voiceagent once for the tests that load it.
func voiceagentBin(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "voiceload-test-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "voiceagent")
		if out, err := exec.Command("go", "build", "-o", built, "../voiceagent").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func testLoad(t *testing.T, transport, stt string) {
	if testing.Short() {
		t.Skip("builds voiceagent")
	}
	bin := voiceagentBin(t)
	var stdout, stderr bytes.Buffer
	o := &options{calls: 3, transport: transport, stt: stt, hold: 6 * time.Second, voiceagent: bin, agent: "clinica-central", llm: true, json: true, every: time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := load(ctx, o, &stdout, &stderr); err != nil {
		t.Fatalf("load: %v\n%s", err, stderr.String())
	}
	var r report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("the JSON report: %v\n%s", err, stdout.String())
	}
	if r.Transport != transport || r.STT != stt {
		t.Errorf("transport %q, stt %q", r.Transport, r.STT)
	}
	if r.Held != 3 || r.Failed != 0 || r.Unanswered != 0 || r.Turns < 3 {
		t.Errorf("held %d, failed %d (%v), turns %d, unanswered %d", r.Held, r.Failed, r.Failures, r.Turns, r.Unanswered)
	}
	if r.ServerTurns < 1 || r.OrchestratorP50 <= 0 || r.ReplyP50 <= 0 || r.Cores <= 0 || r.RSSMB <= 0 {
		t.Errorf("server figures missing: %+v", r)
	}
	if want := r.Cores * 1000 / 3; math.Abs(r.CPUMsPerCallS-want) > 1e-9 {
		t.Errorf("CPU-ms per call-second %v; want cores × 1000 / calls = %v", r.CPUMsPerCallS, want)
	}
	// A line can go unmatched only when a stall of the machine splits it
	// in two: rare, and not the server's doing.
	if f := r.Fakes; f == nil || f.recognised() < 3 || f.Unmatched > f.recognised()/4 || f.Chats < 3 {
		t.Errorf("fakes: %+v", f)
	}
	// The recogniser asked was the one given, and only it.
	if f := r.Fakes; f != nil && stt == "deepgram" && (f.Transcriptions != 0 || f.DeepgramStreams < 3 || f.DeepgramUtterances < 3) {
		t.Errorf("with Deepgram: %+v", f)
	}
	if f := r.Fakes; f != nil && stt == "openai" && (f.DeepgramStreams != 0 || f.DeepgramUtterances != 0) {
		t.Errorf("with OpenAI: %+v", f)
	}
	if r.ServerMessages != 0 {
		t.Errorf("%d invalid messages from the server", r.ServerMessages)
	}
	if r.FramesHeard <= 0 || r.CallerFrames <= 0 {
		t.Errorf("%d frames heard, %d caller ticks", r.FramesHeard, r.CallerFrames)
	}
	if !strings.Contains(stderr.String(), "calls up 3/3") {
		t.Errorf("no progress line:\n%s", stderr.String())
	}
}

// TestReportServerLine: the server's line gives the CPU per call-second,
// and says so when there were too few calls to tell their memory apart
// from the idle server's (RSS below the idle figure).
func TestReportServerLine(t *testing.T) {
	for _, tt := range []struct {
		r    report
		want string
	}{
		{report{Cores: 0.26, CPUMsPerCallS: 1.3, RSSMB: 130, IdleRSSMB: 110, RSSPerCallKB: 100, TotalRSSPerCallKB: 650, Goroutines: 820},
			"Server:       0.26 cores = 1.30 CPU-ms per call-second, RSS 130 MB (idle 110 MB): 100 KB per call (650 KB with the idle share), 820 goroutines\n"},
		{report{Cores: 0.04, CPUMsPerCallS: 4, RSSMB: 104, IdleRSSMB: 111, RSSPerCallKB: -700, TotalRSSPerCallKB: 10400, Goroutines: 48},
			"Server:       0.04 cores = 4.00 CPU-ms per call-second, RSS 104 MB (idle 111 MB): below the idle server's, too few calls to tell their share (10400 KB with the idle share), 48 goroutines\n"},
	} {
		var b strings.Builder
		tt.r.print(&b)
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("report:\n%s\nwant the line\n%s", b.String(), tt.want)
		}
	}
}

// Bad command lines exit 2 before anything starts.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--calls", "x"}, {"--calls", "0"}, {"--nope"}, {"extra"}, {"--transport", "sip"},
		{"--stt", "whisper"}, {"--url", "http://127.0.0.1:8080", "--stt", "deepgram"}, {"--chaos", "--stt", "deepgram"},
		{"fakes", "--stt", "whisper"},
		// --chaos's flags: only with --chaos, and not with what it does itself.
		{"--chaos-every", "5s"}, {"--redis", "redis://127.0.0.1:6379/9"}, {"--lb-config", "x.cfg"},
		{"--chaos", "--url", "http://127.0.0.1:8080"}, {"--chaos", "--transport", "webrtc"}, {"--chaos", "--agent", "clinica-central"},
		{"--chaos", "--chaos-every", "0s"}, {"--chaos", "--chaos-down", "-1s"}, {"--chaos", "--chaos-drain", "0s"},
		{"--chaos", "--redis", "http://127.0.0.1:6379"}, {"--chaos", "--seed", "x"},
		{"--chaos", "--voiceagent", "/bin/true", "--haproxy", "/nonexistent/haproxy"},
		{"--chaos", "--voiceagent", "/bin/true", "--haproxy", "/bin/true", "--lb-config", "/nonexistent/haproxy.cfg"},
	} {
		if code := run(args); code != 2 {
			t.Errorf("voiceload %v: exit %d, want 2", args, code)
		}
	}
}
