package main

import (
	"errors"
	"net"
	"slices"
	"strings"

	"github.com/voiceagent/voiceagent/internal/sockio"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/speech/deepgram"
	"github.com/voiceagent/voiceagent/speech/espeak"
	"github.com/voiceagent/voiceagent/speech/openai"
)

// speechFlags choose the speech providers (SPEC §6); flags override the
// environment, keys come only from the environment.
type speechFlags struct {
	stt, tts, sttModel, ttsModel, voice string
}

// voices are the speech providers of serve: a recogniser per language
// (OpenAI and Deepgram are told the language), one synthesiser.
type voices struct {
	sttKind, ttsKind string
	newSTT           func(lang string) (speech.STT, error)
	stts             map[string]speech.STT // by language, made at start-up (recogniser)
	tts              speech.TTS
	sttMissing       string // why there is no recogniser
	ttsMissing       string
}

// speechProviders resolves VOICEAGENT_STT and VOICEAGENT_TTS: unset means a
// provider whose key is set, else the offline default (none for
// recognition, espeak-ng for speech when installed).
func speechProviders(f *speechFlags, getenv func(string) string) (*voices, error) {
	v := &voices{stts: map[string]speech.STT{}}
	pick := func(flag, env string) string {
		if flag != "" {
			return strings.ToLower(flag)
		}
		return strings.ToLower(strings.TrimSpace(getenv(env)))
	}
	openaiKey, dgKey := getenv("OPENAI_API_KEY"), getenv("DEEPGRAM_API_KEY")
	openaiConf := func(model string) openai.Config {
		return openai.Config{BaseURL: getenv("OPENAI_BASE_URL"), APIKey: openaiKey, Model: model,
			APIVersion: getenv("OPENAI_API_VERSION"), Azure: strings.EqualFold(getenv("OPENAI_API_TYPE"), "azure"), HTTPClient: sockio.Client()}
	}

	v.sttKind = pick(f.stt, "VOICEAGENT_STT")
	if v.sttKind == "" {
		switch {
		case dgKey != "":
			v.sttKind = "deepgram"
		case openaiKey != "":
			v.sttKind = "openai"
		default:
			v.sttKind = "off"
			v.sttMissing = "set DEEPGRAM_API_KEY or OPENAI_API_KEY, or VOICEAGENT_STT=openai with OPENAI_BASE_URL"
		}
	}
	sttModel := f.sttModel
	if sttModel == "" {
		sttModel = getenv("VOICEAGENT_STT_MODEL")
	}
	switch v.sttKind {
	case "deepgram":
		v.newSTT = func(lang string) (speech.STT, error) {
			return deepgram.New(deepgram.Config{URL: getenv("DEEPGRAM_URL"), APIKey: dgKey, Model: sttModel, Language: lang,
				NetDialContext: sockio.DialContext(&net.Dialer{})})
		}
	case "openai":
		v.newSTT = func(lang string) (speech.STT, error) {
			c := openaiConf(sttModel)
			c.Language = lang
			return openai.NewSTT(c)
		}
	case "off":
		if v.sttMissing == "" {
			v.sttMissing = "VOICEAGENT_STT=off"
		}
	default:
		return nil, usageErr("VOICEAGENT_STT (--stt) %q: want openai, deepgram or off", v.sttKind)
	}

	v.ttsKind = pick(f.tts, "VOICEAGENT_TTS")
	explicit := v.ttsKind != ""
	if v.ttsKind == "" {
		v.ttsKind = "espeak"
		if openaiKey != "" {
			v.ttsKind = "openai"
		}
	}
	ttsModel, voice := f.ttsModel, f.voice
	if ttsModel == "" {
		ttsModel = getenv("VOICEAGENT_TTS_MODEL")
	}
	if voice == "" {
		voice = getenv("VOICEAGENT_TTS_VOICE")
	}
	switch v.ttsKind {
	case "openai":
		c := openaiConf(ttsModel)
		c.Voice = voice
		tts, err := openai.NewTTS(c)
		if err != nil {
			return nil, usageErr("text-to-speech: %v", err)
		}
		v.tts = tts
	case "espeak":
		tts, err := espeak.New(espeak.Config{})
		if err != nil {
			if explicit || !errors.Is(err, espeak.ErrNotInstalled) {
				return nil, usageErr("text-to-speech: %v", err)
			}
			v.ttsKind, v.ttsMissing = "off", "espeak-ng is not installed (apt-get install espeak-ng) and OPENAI_API_KEY is not set"
		} else {
			v.tts = tts
		}
	case "off":
		v.ttsMissing = "VOICEAGENT_TTS=off"
	default:
		return nil, usageErr("VOICEAGENT_TTS (--tts) %q: want openai, espeak or off", v.ttsKind)
	}
	return v, nil
}

// recogniser makes the recogniser for a language, once, when there is a
// provider.
func (v *voices) recogniser(lang string) error {
	if v.newSTT == nil || v.stts[lang] != nil {
		return nil
	}
	s, err := v.newSTT(lang)
	if err != nil {
		return usageErr("speech-to-text: %v", err)
	}
	v.stts[lang] = s
	return nil
}

// report says which providers are active and what is missing.
func (v *voices) report() []string {
	var lines []string
	if v.newSTT != nil {
		var names []string
		for _, s := range v.stts {
			names = append(names, s.String())
		}
		slices.Sort(names)
		lines = append(lines, "Speech-to-text: "+strings.Join(slices.Compact(names), "; "))
	} else {
		lines = append(lines, "Speech-to-text: none ("+v.sttMissing+"); phone callers can only use the keypad, browser callers type or use their browser's recognition")
	}
	if v.tts != nil {
		lines = append(lines, "Text-to-speech: "+v.tts.String())
	} else {
		lines = append(lines, "Text-to-speech: none ("+v.ttsMissing+"); callers will not hear the agent")
	}
	return lines
}
