package deepgramtest

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func dial(t *testing.T, s *Server, query, key string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if key != "" {
		h.Set("Authorization", "Token "+key)
	}
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/v1/listen?" + query
	c, resp, err := websocket.DefaultDialer.Dial(u, h)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

// pcm is d of a tone (or of silence) at 16 kHz, as bytes.
func pcm(d time.Duration, loud bool) []byte {
	n := int(d.Seconds() * 16000)
	b := make([]byte, 2*n)
	for i := range n {
		v := 0.0
		if loud {
			v = 8000 * math.Sin(2*math.Pi*440*float64(i)/16000)
		}
		binary.LittleEndian.PutUint16(b[2*i:], uint16(int16(v)))
	}
	return b
}

type msg struct {
	Type         string  `json:"type"`
	Start        float64 `json:"start"`
	Duration     float64 `json:"duration"`
	IsFinal      bool    `json:"is_final"`
	SpeechFinal  bool    `json:"speech_final"`
	FromFinalize bool    `json:"from_finalize"`
	LastWordEnd  float64 `json:"last_word_end"`
	// Channel is an object in Results, an array elsewhere.
	Channel json.RawMessage `json:"channel"`
}

func (m msg) text() string {
	var ch struct {
		Alternatives []struct {
			Transcript string `json:"transcript"`
		} `json:"alternatives"`
	}
	if json.Unmarshal(m.Channel, &ch) != nil || len(ch.Alternatives) == 0 {
		return ""
	}
	return ch.Alternatives[0].Transcript
}

// readAll reads until the server closes.
func readAll(t *testing.T, c *websocket.Conn) []msg {
	t.Helper()
	var out []msg
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Errorf("read: %v", err)
			}
			return out
		}
		var m msg
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		out = append(out, m)
	}
}

const query = "encoding=linear16&sample_rate=16000&channels=1&interim_results=true&endpointing=300&utterance_end_ms=1000&vad_events=true"

func TestProtocol(t *testing.T) {
	s := New(Script{Transcript: "hola que tal"})
	defer s.Close()
	c, _, err := dial(t, s, query, Key)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(websocket.BinaryMessage, pcm(time.Second, true))
	c.WriteMessage(websocket.BinaryMessage, pcm(1500*time.Millisecond, false))
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"KeepAlive"}`))
	c.WriteMessage(websocket.BinaryMessage, pcm(500*time.Millisecond, true))
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"Finalize"}`))
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"Finalize"}`)) // nothing left: no answer
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"CloseStream"}`))
	var got []string
	for _, m := range readAll(t, c) {
		s := m.Type
		switch {
		case m.Type == "Results" && m.FromFinalize:
			s = "Finalized:" + m.text()
		case m.Type == "Results" && m.SpeechFinal:
			s = "SpeechFinal:" + m.text()
		case m.Type == "Results":
			s = "Interim:" + m.text()
		}
		got = append(got, s)
	}
	want := []string{
		"SpeechStarted", "Interim:hola", "Interim:hola que", "Interim:hola que tal",
		"SpeechFinal:hola que tal", "UtteranceEnd",
		"SpeechStarted", "Interim:hola",
		"Finalized:hola que tal", "Metadata",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	ss := s.Sessions()
	if len(ss) != 1 || ss[0].Audio != 2*16000*3 || !ss[0].CloseStream || ss[0].Count("Finalize") != 2 || ss[0].Count("KeepAlive") != 1 {
		t.Errorf("session %+v", ss)
	}
}

func TestRefusals(t *testing.T) {
	s := New(Script{})
	defer s.Close()
	for _, tc := range []struct {
		query, key string
		status     int
	}{
		{query, "wrong", 401},
		{query, "", 401},
		{"sample_rate=16000", Key, 400},
		{"encoding=linear16", Key, 400},
		{"encoding=linear16&sample_rate=16000&utterance_end_ms=1000", Key, 400},
	} {
		_, resp, err := dial(t, s, tc.query, tc.key)
		if err == nil || resp == nil || resp.StatusCode != tc.status {
			t.Errorf("%s with key %q: %v, want %d", tc.query, tc.key, err, tc.status)
		}
	}
	if s.Rejected() != 5 {
		t.Errorf("%d refused", s.Rejected())
	}
}
