package openai_test

import (
	"testing"

	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/speech/openai"
	"github.com/voiceagent/voiceagent/speech/speechtest"
)

const pkg = "github.com/voiceagent/voiceagent/speech/openai"

// fake starts the fake server for the duration of t.
func fake(t *testing.T) *openaitest.Server {
	t.Helper()
	srv := openaitest.New(openaitest.Always(openaitest.Reply{}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSTTConformance(t *testing.T) {
	for _, rate := range []int{16000, 8000} {
		speechtest.TestSTT(t, speechtest.STTConfig{
			New: func(t *testing.T) speech.STT {
				stt, err := openai.NewSTT(openai.Config{BaseURL: fake(t).URL, APIKey: "sk-test", Language: "es"})
				if err != nil {
					t.Fatal(err)
				}
				return stt
			},
			Heard:   openaitest.DefaultHeard,
			Rate:    rate,
			Package: pkg,
		})
	}
}

func TestTTSConformance(t *testing.T) {
	speechtest.TestTTS(t, speechtest.TTSConfig{
		New: func(t *testing.T) speech.TTS {
			tts, err := openai.NewTTS(openai.Config{BaseURL: fake(t).URL, APIKey: "sk-test"})
			if err != nil {
				t.Fatal(err)
			}
			return tts
		},
		Package: pkg,
	})
}
