// Package audio holds the sample-level pieces of the phone voice runtime:
// sample types, G.711 mu-law and A-law, resampling between 8, 16 and
// 24 kHz, 20 ms framing and pacing, and an energy voice activity detector.
// It is a leaf: it imports nothing of ours and starts no goroutines.
//
// # Rates and frames
//
// Three rates meet in a call. Twilio Media Streams carry 8 kHz mu-law in
// 20 ms frames of 160 bytes; speech-to-text is fed 16 kHz PCM16; OpenAI
// text-to-speech (response_format "pcm") returns 24 kHz 16-bit mono
// little-endian bytes. All PCM here is mono [PCM16]. A frame is
// [FrameDuration] (20 ms) long, [FrameSize] samples at a rate: 160 at
// 8 kHz, 320 at 16 kHz, 480 at 24 kHz.
//
// # Buffers
//
// Every hot-path function appends to a caller's buffer in the manner of
// strconv.AppendInt (DecodeUlaw(dst[:0], src)) and allocates nothing once
// dst has the capacity, so a read loop keeps one buffer per stage and runs
// with zero allocations per frame; tests pin this with
// testing.AllocsPerRun. Slices returned by a [Framer] alias its buffer and
// are valid until its next Write. No function panics on any input: odd
// byte counts and empty slices are handled.
//
// # Chains
//
// Stages also come as a [Writer]: a codec, resampler or byte decoder wraps
// the Writer that follows it, so a chain is built back to front and
// written to at its head; String prints it in the order the audio flows,
// and [Reset] makes its resamplers forget the stream before. A call's
// audio goes through three: the Twilio transport writes each inbound
// frame to
//
//	ulaw-decode(8000) -> call(8000)
//
// the runtime writes text-to-speech audio to
//
//	resample(24000->8000) -> playout(8000)
//
// whose end cuts it into frames a [Pacer] releases, and each message of
// frames goes to the caller through the line's
//
//	ulaw-encode(8000) -> twilio(8000)
//
// A [VAD] looks at the inbound frames at 8 or 16 kHz and reports speech
// start and end for turn-taking and barge-in.
//
// Nothing here is safe for concurrent use: each call owns its own chains,
// resamplers, framers, pacers and VADs and drives each from one goroutine.
// Read-only tables (G.711, filter coefficients) are shared.
package audio
