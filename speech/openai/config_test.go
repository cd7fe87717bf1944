package openai_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech/openai"
)

func TestConfigErrors(t *testing.T) {
	for _, c := range []openai.Config{
		{BaseURL: "api.openai.com/v1"},
		{BaseURL: "ftp://example.com/v1"},
		{BaseURL: "http://user:" + key + "@example.com/v1"},
		{BaseURL: "http://%zz"},
		{Timeout: -time.Second},
		{MaxUtterance: -time.Second},
		{MaxPending: -1},
		{Speed: 5},
		{Speed: 0.1},
	} {
		_, errSTT := openai.NewSTT(c)
		_, errTTS := openai.NewTTS(c)
		for _, err := range []error{errSTT, errTTS} {
			if !errors.Is(err, openai.ErrConfig) {
				t.Errorf("%+v: %v, want ErrConfig", c, err)
			} else if strings.Contains(err.Error(), key) {
				t.Errorf("the error shows the key: %v", err)
			}
		}
	}
	if _, err := openai.NewSTT(openai.Config{Language: "spanish"}); !errors.Is(err, openai.ErrConfig) {
		t.Errorf("language spanish: %v, want ErrConfig", err)
	}
}

// String names the model and the host, never the key.
func TestString(t *testing.T) {
	for _, c := range []struct {
		s    interface{ String() string }
		want string
	}{
		{must(openai.NewSTT(openai.Config{APIKey: key})), "openai stt whisper-1 at api.openai.com"},
		{must(openai.NewSTT(openai.Config{APIKey: key, BaseURL: "http://localhost:8000/v1/", Model: "gpt-4o-mini-transcribe"})), "openai stt gpt-4o-mini-transcribe at localhost:8000"},
		{must(openai.NewTTS(openai.Config{APIKey: key})), "openai tts gpt-4o-mini-tts alloy at api.openai.com"},
		{must(openai.NewTTS(openai.Config{APIKey: key, BaseURL: "https://x.openai.azure.com", Model: "tts", Voice: "nova"})), "openai tts tts nova at x.openai.azure.com"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
