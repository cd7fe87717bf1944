package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
)

// The caller's recorded speech: one booking at Clínica Central, made by
// testdata/gen.go with espeak-ng.
//
//go:embed testdata/script.json testdata/*.wav
var recordings embed.FS

// clip is one thing the caller says.
type clip struct {
	Text  string
	PCM   []int16       // 8 kHz
	Voice time.Duration // from the first voiced 20 ms to the last
}

// loadScript returns the caller's lines in the order they are said.
func loadScript() ([]clip, error) {
	b, err := recordings.ReadFile("testdata/script.json")
	if err != nil {
		return nil, err
	}
	var lines []struct{ Text, File string }
	if err := json.Unmarshal(b, &lines); err != nil {
		return nil, fmt.Errorf("script.json: %w", err)
	}
	clips := make([]clip, 0, len(lines))
	for _, l := range lines {
		b, err := recordings.ReadFile("testdata/" + l.File)
		if err != nil {
			return nil, err
		}
		pcm, err := twiliotest.ReadWAV(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.File, err)
		}
		clips = append(clips, clip{Text: l.Text, PCM: pcm, Voice: voiced(pcm, twiliotest.Rate)})
	}
	return clips, nil
}

// voicedRMS is the level (RMS of a 20 ms frame) above which a frame
// counts as voice: about -40 dBFS, well above μ-law's quantisation of
// silence.
const voicedRMS = 300

// voiced measures how long pcm, at rate, holds voice: from the start of
// its first voiced 20 ms frame to the end of its last.
func voiced(pcm []int16, rate int) time.Duration {
	n := rate / 50
	first, last := -1, -1
	for i := 0; i+n <= len(pcm); i += n {
		var sum float64
		for _, s := range pcm[i : i+n] {
			sum += float64(s) * float64(s)
		}
		if math.Sqrt(sum/float64(n)) >= voicedRMS {
			if first < 0 {
				first = i
			}
			last = i + n
		}
	}
	if first < 0 {
		return 0
	}
	return time.Duration(last-first) * time.Second / time.Duration(rate)
}

// nearest returns the clip whose voice lasts closest to d, and how far it
// is from d.
func nearest(clips []clip, d time.Duration) (clip, time.Duration) {
	best, off := clip{}, time.Duration(math.MaxInt64)
	for _, c := range clips {
		if o := (c.Voice - d).Abs(); o < off {
			best, off = c, o
		}
	}
	return best, off
}

// atLeast returns the shortest clip whose voice lasts at least d (the
// longest when none does): what a voice heard for d so far may become.
func atLeast(clips []clip, d time.Duration) clip {
	var best, longest clip
	for _, c := range clips {
		if c.Voice >= d && (best.Text == "" || c.Voice < best.Voice) {
			best = c
		}
		if c.Voice > longest.Voice {
			longest = c
		}
	}
	if best.Text == "" {
		return longest
	}
	return best
}
