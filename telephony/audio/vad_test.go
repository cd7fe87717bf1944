package audio

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
	"time"
)

type vadEvent struct {
	frame int
	ev    VADEvent
}

// runVAD feeds x to a new VAD in 20 ms frames and returns its events.
func runVAD(t *testing.T, rate int, cfg VADConfig, x PCM16) ([]vadEvent, *VAD) {
	t.Helper()
	v, err := NewVAD(rate, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var evs []vadEvent
	for i, fr := range slices.Collect(slices.Chunk(x, FrameSize(rate))) {
		if r := v.Process(fr); r.Event != NoEvent {
			evs = append(evs, vadEvent{i, r.Event})
		}
	}
	return evs, v
}

// signal builds a test signal at rate from parts laid end to end, over
// quiet background noise (about -65 dBFS).
type part struct {
	dur  time.Duration
	freq float64 // 0: background only
	amp  float64
}

func signal(rate int, parts ...part) PCM16 {
	var x PCM16
	for _, p := range parts {
		n := int(int64(rate) * int64(p.dur) / int64(time.Second))
		if p.freq == 0 {
			x = append(x, make(PCM16, n)...)
		} else {
			x = append(x, sine(rate, p.freq, p.amp, n)...)
		}
	}
	return mix(x, noise(7, 30, len(x)))
}

func TestVADSynthetic(t *testing.T) {
	const loud = 3000 // a 440 Hz tone about -24 dBFS, like speech on a phone line
	quiet := func(d time.Duration) part { return part{dur: d} }
	tone := func(d time.Duration) part { return part{dur: d, freq: 440, amp: loud} }
	cases := []struct {
		name  string
		parts []part
		want  []vadEvent
	}{
		{"background only", []part{quiet(5 * time.Second)}, nil},
		// Active frames 50..74: start on the third, end on the tenth
		// inactive frame (200 ms of hangover).
		{"burst", []part{quiet(time.Second), tone(500 * time.Millisecond), quiet(time.Second)},
			[]vadEvent{{52, SpeechStart}, {84, SpeechEnd}}},
		{"click of one frame", []part{quiet(time.Second), tone(20 * time.Millisecond), quiet(time.Second)}, nil},
		{"two frames", []part{quiet(time.Second), tone(40 * time.Millisecond), quiet(time.Second)}, nil},
		{"three frames", []part{quiet(time.Second), tone(60 * time.Millisecond), quiet(time.Second)},
			[]vadEvent{{52, SpeechStart}, {62, SpeechEnd}}},
		{"gap shorter than the hangover", []part{quiet(time.Second), tone(300 * time.Millisecond), quiet(180 * time.Millisecond), tone(300 * time.Millisecond), quiet(time.Second)},
			[]vadEvent{{52, SpeechStart}, {98, SpeechEnd}}},
		{"gap as long as the hangover", []part{quiet(time.Second), tone(300 * time.Millisecond), quiet(200 * time.Millisecond), tone(300 * time.Millisecond), quiet(time.Second)},
			[]vadEvent{{52, SpeechStart}, {74, SpeechEnd}, {77, SpeechStart}, {99, SpeechEnd}}},
		{"below the minimum level", []part{quiet(time.Second), {dur: time.Second, freq: 440, amp: 40}, quiet(time.Second)}, nil},
	}
	for _, c := range cases {
		for _, rate := range []int{8000, 16000} {
			t.Run(fmt.Sprintf("%s/%d", c.name, rate), func(t *testing.T) {
				got, _ := runVAD(t, rate, VADConfig{}, signal(rate, c.parts...))
				if !slices.Equal(got, c.want) {
					t.Errorf("events %v, want %v", got, c.want)
				}
			})
		}
	}
}

// A background that gets louder and stays so may start speech, but is
// absorbed into the floor within seconds; real speech above it is still
// found, and when the background quietens again the floor follows at once.
func TestVADNoiseFloorAdapts(t *testing.T) {
	const rate = 8000
	sec := func(s float64) int { return int(s * rate) }
	x := make(PCM16, sec(24))
	mix(x, noise(1, 30, sec(1)))                     // 0-1 s: about -65 dBFS
	mix(x[sec(1):], noise(2, 1500, sec(12)))         // 1-13 s: about -31 dBFS, steady
	mix(x[sec(10):], sine(rate, 300, 20000, sec(1))) // 10-11 s: speech over it, about -7 dBFS
	mix(x[sec(13):], noise(3, 30, sec(11)))          // 13-24 s: quiet again
	mix(x[sec(14):], sine(rate, 300, 450, sec(1)))   // 14-15 s: a quiet talker, about -40 dBFS

	v, _ := NewVAD(rate, VADConfig{})
	var floorAt9, floorAt13_3 float64
	var evs []string
	for i, fr := range slices.Collect(slices.Chunk(x, FrameSize(rate))) {
		r := v.Process(fr)
		at := float64(i) * 0.02
		if r.Event != NoEvent {
			evs = append(evs, fmt.Sprintf("%s@%.2f", r.Event, at))
		}
		switch i {
		case 450:
			floorAt9 = r.Floor
		case 665:
			floorAt13_3 = r.Floor
		}
		if at >= 7 && at < 10 && r.Speech {
			t.Fatalf("steady background still speech at %.2f s (level %.1f, floor %.1f)", at, r.Level, r.Floor)
		}
	}
	t.Logf("events %v; floor %.1f dBFS at 9 s, %.1f dBFS 300 ms after the background stopped", evs, floorAt9, floorAt13_3)
	if floorAt9 < -35 {
		t.Errorf("floor %.1f dBFS at 9 s, want near the -31 dBFS background", floorAt9)
	}
	if floorAt13_3 > -60 {
		t.Errorf("floor %.1f dBFS 300 ms after the background stopped, want near -65", floorAt13_3)
	}
	// Exactly: perhaps a start/end pair when the background arrives, then
	// speech at 10-11 s and 14-15 s.
	want := []string{"speech-start@10.04", "speech-end@11.18", "speech-start@14.04", "speech-end@15.18"}
	if len(evs) >= 2 && evs[0] == "speech-start@1.04" {
		evs = evs[2:]
	}
	if !slices.Equal(evs, want) {
		t.Errorf("events %v, want %v (after any pair at 1 s)", evs, want)
	}
}

// A call that starts mid-speech: the first frame becomes the floor, so
// that speech is missed, but the floor falls in the first pause and the
// next speech is found.
func TestVADStartsInSpeech(t *testing.T) {
	tone := part{dur: time.Second, freq: 440, amp: 3000}
	got, _ := runVAD(t, 8000, VADConfig{}, signal(8000, tone, part{dur: time.Second}, tone, part{dur: time.Second}))
	want := []vadEvent{{102, SpeechStart}, {159, SpeechEnd}}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestVADConfig(t *testing.T) {
	x := signal(8000, part{dur: time.Second}, part{dur: 300 * time.Millisecond, freq: 440, amp: 3000}, part{dur: time.Second})
	def, _ := runVAD(t, 8000, VADConfig{}, x)
	explicit, _ := runVAD(t, 8000, VADConfig{StartFrames: 3, Hangover: 200 * time.Millisecond, Threshold: 10, MinLevel: -50, FloorRise: 6, FloorFall: 0.3}, x)
	if !slices.Equal(def, explicit) {
		t.Errorf("zero config %v, explicit defaults %v", def, explicit)
	}
	other, _ := runVAD(t, 8000, VADConfig{StartFrames: 2, Hangover: 500 * time.Millisecond}, x)
	if want := []vadEvent{{51, SpeechStart}, {89, SpeechEnd}}; !slices.Equal(other, want) {
		t.Errorf("StartFrames 2, Hangover 500ms: %v, want %v", other, want)
	}
	if _, err := NewVAD(0, VADConfig{}); !errors.Is(err, ErrSampleRate) {
		t.Errorf("NewVAD(0) error = %v", err)
	}
}

func TestVADResetAndEmpty(t *testing.T) {
	x := signal(8000, part{dur: time.Second}, part{dur: 300 * time.Millisecond, freq: 440, amp: 3000}, part{dur: 100 * time.Millisecond})
	first, v := runVAD(t, 8000, VADConfig{}, x)
	if !v.Speech() {
		t.Fatal("not in speech at the end")
	}
	if r := v.Process(nil); r.Event != NoEvent || !r.Speech || r.Level != SilenceDB {
		t.Errorf("empty frame: %+v", r)
	}
	v.Reset()
	if v.Speech() {
		t.Error("in speech after Reset")
	}
	var again []vadEvent
	for i, fr := range slices.Collect(slices.Chunk(x, 160)) {
		if r := v.Process(fr); r.Event != NoEvent {
			again = append(again, vadEvent{i, r.Event})
		}
	}
	if !slices.Equal(first, again) {
		t.Errorf("after Reset %v, new %v", again, first)
	}
}

func TestLevelDB(t *testing.T) {
	for _, c := range []struct {
		x    PCM16
		want float64
	}{
		{nil, SilenceDB},
		{make(PCM16, 160), SilenceDB},
		{PCM16{math.MinInt16, math.MinInt16}, 0},
		{sine(8000, 1000, 32767, 160), -3.01},
		{sine(8000, 1000, 3277, 160), -23.01},
		{PCM16{1}, -90.31},
	} {
		if got := LevelDB(c.x); math.Abs(got-c.want) > 0.01 {
			t.Errorf("LevelDB(%d samples) = %.2f, want %.2f", len(c.x), got, c.want)
		}
	}
}

func TestVADEventString(t *testing.T) {
	for ev, want := range map[VADEvent]string{NoEvent: "none", SpeechStart: "speech-start", SpeechEnd: "speech-end", 9: "VADEvent(9)"} {
		if ev.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(ev), ev.String(), want)
		}
	}
}

// Real speech, synthesised by espeak-ng (testdata/gen.sh): two sentences
// joined by 700 ms of silence, after 400 ms and before 500 ms of it, over
// low noise. The expected boundaries follow from the padding and each
// sentence's duration as gen.sh printed it.
var speechFixtures = []struct {
	file      string
	sentences [2]float64 // seconds
}{
	{"testdata/speech_es.wav", [2]float64{1.980500, 1.104875}}, // "Quiero reservar una cita para mañana." "Me llamo Ana García."
	{"testdata/speech_en.wav", [2]float64{1.710750, 1.153250}}, // "I would like to book an appointment." "My name is John Smith."
}

func readFixture(t testing.TB, name string) (PCM16, int) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pcm, rate, err := ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	return pcm, rate
}

func TestVADRealSpeech(t *testing.T) {
	const tolerance = 0.1 // seconds
	for _, fx := range speechFixtures {
		pcm, rate := readFixture(t, fx.file)
		if rate != 8000 {
			t.Fatalf("%s: %d Hz", fx.file, rate)
		}
		s1, s2 := fx.sentences[0], fx.sentences[1]
		want := [][2]float64{{0.4, 0.4 + s1}, {0.4 + s1 + 0.7, 0.4 + s1 + 0.7 + s2}}
		if got, total := float64(len(pcm))/8000, want[1][1]+0.5; math.Abs(got-total) > 0.001 {
			t.Fatalf("%s: %.3f s long, want %.3f", fx.file, got, total)
		}

		up, _ := NewResampler(8000, 16000)
		variants := []struct {
			name string
			rate int
			x    PCM16
		}{
			{"pcm 8k", 8000, pcm},
			{"mu-law 8k", 8000, DecodeUlaw(nil, EncodeUlaw(nil, pcm))},
			{"a-law 8k", 8000, DecodeAlaw(nil, EncodeAlaw(nil, pcm))},
			{"16k", 16000, up.Resample(nil, pcm)},
			{"noisy line 8k", 8000, mix(slices.Clone(pcm), noise(5, 300, len(pcm)))}, // about -45 dBFS
		}
		for _, vr := range variants {
			t.Run(fx.file[len("testdata/"):]+"/"+vr.name, func(t *testing.T) {
				evs, _ := runVAD(t, vr.rate, VADConfig{}, vr.x)
				var got [][2]float64
				for _, e := range evs {
					switch e.ev {
					case SpeechStart: // on the third of three speech frames
						got = append(got, [2]float64{float64(e.frame-2) * 0.02, math.NaN()})
					case SpeechEnd: // after 200 ms of silence
						got[len(got)-1][1] = float64(e.frame+1)*0.02 - 0.2
					}
				}
				if len(got) != len(want) {
					t.Fatalf("speech segments %v, want %v", got, want)
				}
				for i := range want {
					for j := range 2 {
						if d := got[i][j] - want[i][j]; math.IsNaN(d) || math.Abs(d) > tolerance {
							t.Errorf("segment %d: %v, want %v within %v s", i, got[i], want[i], tolerance)
						}
					}
				}
				t.Logf("segments %.2f (want %.2f)", got, want)
			})
		}
	}
}
