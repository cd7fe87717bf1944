package audio

import "errors"

var (
	// ErrSampleRate is returned for a sample rate that is not positive, or a
	// pair of rates the resampler does not convert between.
	ErrSampleRate = errors.New("audio: unsupported sample rate")

	// ErrFrameSize is returned for a frame size that is not positive.
	ErrFrameSize = errors.New("audio: frame size must be positive")

	// ErrNotWAV is returned by ReadWAV for input that is not a RIFF/WAVE
	// stream or whose chunks are malformed.
	ErrNotWAV = errors.New("audio: not a WAV file")

	// ErrWAVFormat is returned by ReadWAV for a WAV encoding it does not
	// read: anything but mono 16-bit PCM, mu-law or A-law.
	ErrWAVFormat = errors.New("audio: unsupported WAV format")
)
