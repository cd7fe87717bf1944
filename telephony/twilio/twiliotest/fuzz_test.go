package twiliotest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/voiceagent/voiceagent/telephony/twilio"
)

const fuzzSid = "MZ18ad3ab5a668481ce02b83e7395059f0"

// appendServerMedia is a media message as our server writes it.
func appendServerMedia(sid string, ulaw []byte) []byte {
	return twilio.AppendMedia(nil, sid, ulaw)
}

// FuzzParseServer: no server message makes the client panic, every
// rejection wraps one of the sentinels, and media in the compact form and
// in any other JSON decode to the same audio.
func FuzzParseServer(f *testing.F) {
	for _, s := range []string{
		string(appendServerMedia(fuzzSid, []byte{1, 2, 3, 0xFF})),
		string(twilio.AppendMark(nil, fuzzSid, "utt-1")),
		string(twilio.AppendClear(nil, fuzzSid)),
		`{"event":"media","media":{"payload":"AQID"},"streamSid":"` + fuzzSid + `"}`,
		`{"event":"media","streamSid":"` + fuzzSid + `","media":{"payload":"AQI\u0044"}}`,
		`{"event":"mark","streamSid":"` + fuzzSid + `","mark":{"name":""}}`,
		`{"event":"stop"}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	sidKey := []byte(`"streamSid":"` + fuzzSid + `"`)
	f.Fuzz(func(t *testing.T, msg []byte) {
		m, err := parseServer(make([]byte, 0, 8), msg, sidKey, fuzzSid)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) && !errors.Is(err, ErrUnknownEvent) && !errors.Is(err, ErrWrongStream) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		switch m.kind {
		case msgMedia:
			again := twilio.AppendMedia(nil, fuzzSid, m.audio)
			m2, err := parseServer(nil, again, sidKey, fuzzSid)
			if err != nil || !bytes.Equal(m2.audio, m.audio) {
				t.Fatalf("media %q: re-encoded, %v, % x", msg, err, m2.audio)
			}
		case msgMark:
			if m.name == "" {
				t.Fatalf("mark without name accepted: %q", msg)
			}
		case msgClear:
		default:
			t.Fatalf("kind %d without error", m.kind)
		}
	})
}
