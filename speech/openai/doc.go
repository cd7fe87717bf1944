// Package openai is speech over any OpenAI-compatible API (OpenAI, Azure
// OpenAI, vLLM, LocalAI, Speaches…), with net/http alone:
//
//   - STT sends each utterance, when the runtime flushes it, to
//     /audio/transcriptions as a WAV file and returns its text as a final
//     transcript; the requests run in the background, their transcripts
//     come out in order, and a failed utterance is heard as silence,
//     unless the failure would hit every request or failures keep coming
//     (see STT.Stream).
//   - TTS asks /audio/speech for raw 24 kHz PCM and hands the samples on
//     as the bytes arrive.
//
// Both implement the contract of package speech and pass its conformance
// suite (speech/speechtest) against the fake server of
// internal/openaitest. Errors are sentinels (errors.go) that say whether
// waiting could help (Temporary); none carries the API key.
package openai
