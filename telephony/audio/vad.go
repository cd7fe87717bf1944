package audio

import (
	"fmt"
	"math"
	"time"
)

// SilenceDB is the level LevelDB gives digital silence: the floor of the
// dB scale used here.
const SilenceDB = -100.0

// LevelDB returns the RMS level of frame in dB relative to full scale (a
// full-scale square wave is 0 dBFS, a full-scale sine about -3 dBFS),
// and SilenceDB for an empty or all-zero frame.
func LevelDB(frame PCM16) float64 {
	if len(frame) == 0 {
		return SilenceDB
	}
	var sum int64
	for _, s := range frame {
		sum += int64(s) * int64(s)
	}
	if sum == 0 {
		return SilenceDB
	}
	db := 10 * math.Log10(float64(sum)/float64(len(frame))/(32768*32768))
	return max(db, SilenceDB)
}

// VADConfig configures a VAD. The zero value means the defaults, and so
// does any zero field.
type VADConfig struct {
	// StartFrames is how many consecutive speech frames start speech;
	// zero means 3 (60 ms of 20 ms frames).
	StartFrames int
	// Hangover is how long the level must stay below the threshold before
	// speech ends; zero means 200 ms.
	Hangover time.Duration
	// Threshold is how far above the noise floor, in dB, a frame must be to
	// count as speech; zero means 10 dB.
	Threshold float64
	// MinLevel is the level, in dBFS, below which a frame is never speech,
	// however quiet the floor; zero means -50 dBFS.
	MinLevel float64
	// FloorRise is how fast, in dB per second, the noise floor rises
	// towards a louder level. It is slow so that speech does not become
	// the floor, but a steady louder background does, in a few seconds.
	// Zero means 6 dB/s.
	FloorRise float64
	// FloorFall is how fast the floor falls towards a quieter level: the
	// fraction of the distance covered per 20 ms. Zero means 0.3, so the
	// floor follows a quieter background within about 100 ms.
	FloorFall float64
}

// VADEvent is what a frame changed: nothing, or the start or end of speech.
type VADEvent int

// The events a VAD reports.
const (
	NoEvent     VADEvent = iota // the state did not change
	SpeechStart                 // this frame completed StartFrames speech frames
	SpeechEnd                   // this frame completed Hangover of non-speech
)

// String returns "none", "speech-start" or "speech-end".
func (e VADEvent) String() string {
	switch e {
	case NoEvent:
		return "none"
	case SpeechStart:
		return "speech-start"
	case SpeechEnd:
		return "speech-end"
	}
	return fmt.Sprintf("VADEvent(%d)", int(e))
}

// VADResult is what a VAD reports for one frame.
type VADResult struct {
	Event  VADEvent
	Speech bool    // the state after this frame: in speech, between SpeechStart and SpeechEnd
	Active bool    // this frame alone was above the threshold
	Level  float64 // this frame's level, dBFS (LevelDB)
	Floor  float64 // the noise floor after this frame, dBFS
}

// VAD is an energy voice activity detector for frames of PCM16 at 8 or
// 16 kHz, normally 20 ms each. A frame is active when its level is at
// least Threshold above an adaptive noise floor and at least MinLevel.
// StartFrames active frames in a row start speech (SpeechStart on the
// last of them, so speech began StartFrames-1 frames earlier); Hangover
// of inactive audio ends it (SpeechEnd on the frame that completes it, so
// speech ended Hangover earlier).
//
// The floor starts at the first frame's level, falls quickly towards
// quieter frames and rises slowly towards louder ones, speech or not: a
// call that starts with speech finds its floor in the first pause, and a
// background that gets louder and stays so stops counting as speech after
// a few seconds. A VAD is not safe for concurrent use.
type VAD struct {
	cfg      VADConfig
	rate     int
	hangover int64 // samples
	floor    float64
	started  bool
	speech   bool
	run      int     // consecutive active frames, while not in speech
	silent   int64   // samples of inactive audio, while in speech
	fallLen  int     // the frame length fall was computed for
	fall     float64 // FloorFall scaled to frames of fallLen samples
}

// NewVAD returns a VAD for frames at rate Hz configured by cfg. The error
// wraps ErrSampleRate when rate is not positive.
func NewVAD(rate int, cfg VADConfig) (*VAD, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("%w: VAD at %d Hz", ErrSampleRate, rate)
	}
	if cfg.StartFrames <= 0 {
		cfg.StartFrames = 3
	}
	if cfg.Hangover <= 0 {
		cfg.Hangover = 200 * time.Millisecond
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = 10
	}
	if cfg.MinLevel == 0 {
		cfg.MinLevel = -50
	}
	if cfg.FloorRise <= 0 {
		cfg.FloorRise = 6
	}
	if cfg.FloorFall <= 0 || cfg.FloorFall > 1 {
		cfg.FloorFall = 0.3
	}
	v := &VAD{cfg: cfg, rate: rate}
	v.hangover = int64(cfg.Hangover) * int64(rate) / int64(time.Second)
	return v, nil
}

// Process classifies one frame and returns what it changed. An empty
// frame changes nothing.
func (v *VAD) Process(frame PCM16) VADResult {
	if len(frame) == 0 {
		return VADResult{Speech: v.speech, Level: SilenceDB, Floor: v.floor}
	}
	level := LevelDB(frame)
	if !v.started {
		v.started, v.floor = true, level
	}
	active := level >= v.floor+v.cfg.Threshold && level >= v.cfg.MinLevel

	// Adapt the floor after deciding, scaled to the frame's length.
	dur := float64(len(frame)) / float64(v.rate)
	if level < v.floor {
		if v.fallLen != len(frame) {
			v.fallLen, v.fall = len(frame), 1-math.Pow(1-v.cfg.FloorFall, dur/FrameDuration.Seconds())
		}
		v.floor += (level - v.floor) * v.fall
	} else {
		v.floor = min(level, v.floor+v.cfg.FloorRise*dur)
	}

	ev := NoEvent
	if !v.speech {
		if active {
			v.run++
		} else {
			v.run = 0
		}
		if v.run >= v.cfg.StartFrames {
			v.speech, v.run, v.silent, ev = true, 0, 0, SpeechStart
		}
	} else {
		if active {
			v.silent = 0
		} else {
			v.silent += int64(len(frame))
		}
		if v.silent >= v.hangover {
			v.speech, v.silent, ev = false, 0, SpeechEnd
		}
	}
	return VADResult{Event: ev, Speech: v.speech, Active: active, Level: level, Floor: v.floor}
}

// Speech reports whether the VAD is in speech.
func (v *VAD) Speech() bool { return v.speech }

// Reset forgets the floor and the state, as if the VAD were new.
func (v *VAD) Reset() {
	*v = VAD{cfg: v.cfg, rate: v.rate, hangover: v.hangover}
}
