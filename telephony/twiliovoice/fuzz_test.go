package twiliovoice

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// FuzzStream: whatever messages follow a valid start on a media stream —
// broken JSON, unknown events, media that is not base64, keys that are
// not keys, binary frames — the read loop neither panics nor hangs, and
// the call ends once when the stream closes. Messages are the input's
// lines; a line starting with 0x00 goes as a binary frame.
func FuzzStream(f *testing.F) {
	for _, seed := range []string{
		`{"event":"media","media":{"payload":"////"}}`,
		"{\"event\":\"dtmf\",\"dtmf\":{\"digit\":\"5\"}}\n{\"event\":\"dtmf\",\"dtmf\":{\"digit\":\"x\"}}",
		"{\"event\":\"mark\",\"mark\":{\"name\":\"0.end\"}}\n{\"event\":\"stop\"}",
		`{"event":"media","media":{"payload":"not base64!"}}`,
		"\x00\x01\x02",
		`{"event":"start","start":{"streamSid":"MZ2"}}`,
		`{"event":`,
		`{"event":"media","media":{"payload":"` + string(bytes.Repeat([]byte("A"), 4000)) + `"}}`,
	} {
		f.Add(seed)
	}
	a := &counting{}
	s := newServerWith(f, a, Config{AuthToken: token})
	n := 0
	f.Fuzz(func(t *testing.T, input string) {
		n++
		sid := fmt.Sprintf("CA%032d", n)
		u, params, err := s.ring("/twilio/voice", sid, "+34600111222")
		if err != nil {
			t.Fatal(err)
		}
		h := proto.Clone()
		h.Set("X-Twilio-Signature", twilio.Signature(token, u, nil))
		c, resp, err := websocket.DefaultDialer.Dial(u, h)
		if err != nil {
			t.Fatalf("dial: %v %v", err, resp)
		}
		defer c.Close()
		start, _ := json.Marshal(twilio.Event{Event: "start", Start: &twilio.Start{StreamSid: "MZ1", CallSid: sid, CustomParameters: params}})
		before := a.n.Load()
		if err := c.WriteMessage(websocket.TextMessage, start); err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split([]byte(input), []byte("\n")) {
			kind := websocket.TextMessage
			if len(line) > 0 && line[0] == 0 {
				kind = websocket.BinaryMessage
			}
			if c.WriteMessage(kind, line) != nil {
				break // the server closed the stream (a message over the limit, a stop)
			}
		}
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		for deadline := time.Now().Add(10 * time.Second); s.tw.Active() > 0 || a.n.Load() == before; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the call did not end (answered %d, active %d)", a.n.Load()-before, s.tw.Active())
			}
		}
	})
}
