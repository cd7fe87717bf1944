package twilio

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// frame is 20 ms of μ-law: 160 bytes.
var frame = func() []byte {
	b := make([]byte, 160)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}()

func mediaMsg(payload []byte) []byte {
	return []byte(`{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"` +
		base64.StdEncoding.EncodeToString(payload) + `"},"streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0"}`)
}

func TestParse(t *testing.T) {
	tests := []struct {
		msg  string
		want func(Event) bool
		err  error
	}{
		{`{"event":"connected","protocol":"Call","version":"1.0.0"}`, func(e Event) bool { return e.Event == "connected" }, nil},
		{`{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],` +
			`"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"agent":"clinica-central","from":"+51987654321"}},"streamSid":"MZ1"}`,
			func(e Event) bool {
				return e.StreamSid == "MZ1" && e.Start.CallSid == "CA1" && e.Start.MediaFormat.SampleRate == 8000 && e.Start.CustomParameters["agent"] == "clinica-central"
			}, nil},
		{string(mediaMsg(frame)), func(e Event) bool { return e.Media.Track == "inbound" && len(e.Media.Payload) == 216 }, nil},
		{`{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"#"}}`, func(e Event) bool { return e.DTMF.Digit == "#" }, nil},
		{`{"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"utt-3"}}`, func(e Event) bool { return e.Mark.Name == "utt-3" }, nil},
		{`{"event":"stop","sequenceNumber":"5","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}`, func(e Event) bool { return e.Stop.CallSid == "CA1" }, nil},
		{`{"event":"start","streamSid":"MZ1"}`, nil, ErrBadMessage},
		{`{"event":"dtmf","dtmf":{"digit":"12"}}`, nil, ErrBadMessage},
		{`{"event":"media"}`, nil, ErrBadMessage},
		{`{"event":"teleport"}`, nil, ErrBadMessage},
		{`not json`, nil, ErrBadMessage},
		{`{"event":"media","media":{"payload":"` + strings.Repeat("A", MaxMessage) + `"}}`, nil, ErrTooLarge},
	}
	for _, tt := range tests {
		ev, err := Parse([]byte(tt.msg))
		if !errors.Is(err, tt.err) || (err == nil && !tt.want(ev)) {
			t.Errorf("Parse(%.80s) = %+v, %v; want err %v", tt.msg, ev, err, tt.err)
		}
	}
}

func TestParseMedia(t *testing.T) {
	got, ok := ParseMedia(nil, mediaMsg(frame))
	if !ok || !bytes.Equal(got, frame) {
		t.Fatalf("fast path: ok %v, %d bytes", ok, len(got))
	}
	prefix := []byte{1, 2}
	if got, ok := ParseMedia(prefix, mediaMsg(frame)); !ok || !bytes.Equal(got[:2], prefix) || !bytes.Equal(got[2:], frame) {
		t.Error("ParseMedia does not append")
	}
	for _, msg := range []string{
		`{"event":"mark","mark":{"name":"payload"}}`,
		`{"event":"media","media":{"track":"outbound","payload":"AAAA"}}`,
		`{"event":"media","media":{"payload":"AA\/A"}}`,
		`{"event":"media","media":{"payload":"!!!!"}}`,
		`{"event": "media", "media": {"payload": "AAAA"}}`, // not compact: the slow path
	} {
		if _, ok := ParseMedia(nil, []byte(msg)); ok {
			t.Errorf("fast path took %s", msg)
		}
	}
}

func TestAppend(t *testing.T) {
	var ev struct {
		Event     string `json:"event"`
		StreamSid string `json:"streamSid"`
		Media     struct{ Payload string }
		Mark      struct{ Name string }
	}
	out := AppendMedia(nil, "MZ1", frame)
	if err := json.Unmarshal(out, &ev); err != nil || ev.Event != "media" || ev.StreamSid != "MZ1" || ev.Media.Payload != base64.StdEncoding.EncodeToString(frame) {
		t.Errorf("media: %s (%v)", out, err)
	}
	out = AppendMark(nil, "MZ1", "utt \"7\"\n\xff")
	if err := json.Unmarshal(out, &ev); err != nil || ev.Event != "mark" || ev.Mark.Name != "utt \"7\"\n\ufffd" {
		t.Errorf("mark: %s (%v) %q", out, err, ev.Mark.Name)
	}
	out = AppendClear(nil, "MZ1")
	if string(out) != `{"event":"clear","streamSid":"MZ1"}` {
		t.Errorf("clear: %s", out)
	}
}

// TestSignature uses the example of Twilio's request validation docs.
func TestSignature(t *testing.T) {
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675310"}, "Digits": {"1234"},
		"From": {"+14158675310"}, "To": {"+18005551212"}}
	u := "https://mycompany.com/myapp.php?foo=1&bar=2"
	if got := Signature("12345", u, params); got != "GvWf1cFY/Q7PnoempGyD5oXAezc=" {
		t.Errorf("Signature = %s", got)
	}
	if !ValidSignature("12345", u, params, "GvWf1cFY/Q7PnoempGyD5oXAezc=") {
		t.Error("valid signature refused")
	}
	params.Set("Digits", "1235")
	for _, bad := range []struct{ token, url, sig string }{
		{"12345", u, "GvWf1cFY/Q7PnoempGyD5oXAezc="}, // a changed parameter
		{"54321", u, Signature("12345", u, params)},
		{"12345", u + "&x=1", Signature("12345", u, params)},
		{"12345", u, ""},
	} {
		if ValidSignature(bad.token, bad.url, params, bad.sig) {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestTwiML(t *testing.T) {
	got := string(ConnectStream("wss://example.com/twilio/stream?x=1&y=2", "", map[string]string{"agent": `a"<b>`, "from": "+1"}))
	want := `<Response><Connect><Stream url="wss://example.com/twilio/stream?x=1&amp;y=2"><Parameter name="agent" value="a&#34;&lt;b&gt;"/><Parameter name="from" value="+1"/></Stream></Connect></Response>`
	if !strings.HasSuffix(got, want) || !strings.HasPrefix(got, "<?xml") {
		t.Errorf("ConnectStream:\n%s\nwant …%s", got, want)
	}
	got = string(ConnectStream("wss://h/s", "https://h/after?a=1&b=2", nil))
	if want := `<Response><Connect action="https://h/after?a=1&amp;b=2"><Stream url="wss://h/s"></Stream></Connect></Response>`; !strings.HasSuffix(got, want) {
		t.Errorf("ConnectStream with action:\n%s\nwant …%s", got, want)
	}
	if got := string(Hangup()); !strings.HasSuffix(got, `<Response><Hangup/></Response>`) {
		t.Errorf("Hangup: %s", got)
	}
	if got := string(Dial("+34 600 <1>")); !strings.HasSuffix(got, `<Response><Dial>+34 600 &lt;1&gt;</Dial></Response>`) {
		t.Errorf("Dial: %s", got)
	}
	if got := string(Say("No & no", "es-ES")); !strings.Contains(got, `<Say language="es-ES">No &amp; no</Say><Hangup/>`) {
		t.Errorf("Say: %s", got)
	}
}

// FuzzParseMedia: whenever the fast path reads a message, encoding/json
// reads the same event and payload from it.
func FuzzParseMedia(f *testing.F) {
	f.Add(mediaMsg(frame))
	f.Add([]byte(`{"event":"media","media":{"payload":"AAAA"},"x":{"payload":"BBBB"}}`))
	f.Add([]byte(`{"event":"media","media":{"track":"inbound","payload":""}}`))
	f.Add([]byte(`{"event":"mark","mark":{"name":"\"event\":\"media\""}}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		got, ok := ParseMedia(nil, msg)
		ev, err := Parse(msg)
		if !ok {
			return
		}
		if err != nil {
			// The fast path is lenient about what surrounds the payload;
			// only the payload it read must be right where JSON parses.
			return
		}
		if ev.Event != "media" {
			t.Fatalf("fast path read a %q message", ev.Event)
		}
		want, derr := base64.StdEncoding.DecodeString(ev.Media.Payload)
		if derr != nil || !bytes.Equal(got, want) {
			t.Fatalf("fast path %x, json %x (%v)", got, want, derr)
		}
	})
}

func BenchmarkParseMedia(b *testing.B) {
	msg := mediaMsg(frame)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = ParseMedia(buf[:0], msg)
	}
}

func BenchmarkParseMediaJSON(b *testing.B) {
	msg := mediaMsg(frame)
	b.ReportAllocs()
	for b.Loop() {
		ev, _ := Parse(msg)
		base64.StdEncoding.DecodeString(ev.Media.Payload)
	}
}

func BenchmarkAppendMedia(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMedia(buf[:0], "MZ18ad3ab5a668481ce02b83e7395059f0", frame)
	}
}
