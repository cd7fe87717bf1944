package deepgramtest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	// Only the tests import the audio leaf, to hold the fake's decoder to
	// the phone line's.
	"github.com/voiceagent/voiceagent/telephony/audio"
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
		{"encoding=mulaw", Key, 400},                  // no sample_rate
		{"encoding=pcm&sample_rate=8000", Key, 400},   // not Deepgram's
		{"encoding=opus&sample_rate=16000", Key, 400}, // Deepgram's, not the fake's
		{"encoding=mulaw&sample_rate=8000&channels=2", Key, 400},
	} {
		_, resp, err := dial(t, s, tc.query, tc.key)
		if err == nil || resp == nil || resp.StatusCode != tc.status {
			t.Errorf("%s with key %q: %v, want %d", tc.query, tc.key, err, tc.status)
		}
	}
	if s.Rejected() != 9 {
		t.Errorf("%d refused", s.Rejected())
	}
	if _, _, err := dial(t, s, "encoding=mulaw&sample_rate=8000", Key); err != nil {
		t.Errorf("mulaw at 8 kHz: %v", err)
	}
	// The server counts a connection once its side of the handshake is
	// done, which may be just after the dialler has its answer.
	for deadline := time.Now().Add(5 * time.Second); s.Accepted() != 1 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if s.Accepted() != 1 {
		t.Errorf("%d accepted", s.Accepted())
	}
}

// The decoder is G.711's, as the phone line's.
func TestUlawTable(t *testing.T) {
	for c := range 256 {
		if want := audio.DecodeUlaw(nil, audio.Ulaw{byte(c)})[0]; ulawTable[c] != want {
			t.Errorf("code %#02x: %d, want %d", c, ulawTable[c], want)
		}
	}
}

// ulaw is d of a tone (or of silence) at 8 kHz, as μ-law.
func ulaw(d time.Duration, loud bool) []byte {
	pcm := make([]int16, int(d.Seconds()*8000))
	if loud {
		for i := range pcm {
			pcm[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		}
	}
	return audio.EncodeUlaw(nil, pcm)
}

// μ-law is heard as linear16 is: its speech and silence, on its timeline.
func TestMulaw(t *testing.T) {
	s := New(Script{Transcript: "hola que tal"})
	defer s.Close()
	c, _, err := dial(t, s, strings.Replace(query, "encoding=linear16&sample_rate=16000", "encoding=mulaw&sample_rate=8000", 1), Key)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(websocket.BinaryMessage, ulaw(time.Second, true))
	c.WriteMessage(websocket.BinaryMessage, ulaw(1500*time.Millisecond, false))
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"CloseStream"}`))
	var got []string
	for _, m := range readAll(t, c) {
		got = append(got, fmt.Sprintf("%s:%s:%v", m.Type, m.text(), m.SpeechFinal))
	}
	want := []string{
		"SpeechStarted::false", "Results:hola:false", "Results:hola que:false", "Results:hola que tal:false",
		"Results:hola que tal:true", "UtteranceEnd::false",
		"Results::false", // CloseStream finalizes the silence after the speech_final
		"Metadata::false",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if ss := s.Sessions(); ss[0].Audio != 8000*5/2 {
		t.Errorf("%d bytes of audio", ss[0].Audio)
	}
}

// Recognize names each utterance from its audio: called as speech comes
// for interims, then once for the final with the whole utterance.
func TestRecognize(t *testing.T) {
	type call struct {
		samples, rate int
		final         bool
	}
	var mu sync.Mutex // the connection's goroutine calls, the test reads
	var calls []call
	audioOK := true
	s := New(Script{InterimEvery: 200 * time.Millisecond, Recognize: func(pcm []int16, rate int, final bool) string {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{len(pcm), rate, final})
		// The utterance starts with its speech: the tone, decoded.
		if want := int16(8000 * math.Sin(2*math.Pi*440*3/8000)); len(pcm) < 4 || pcm[0] != 0 || math.Abs(float64(pcm[3]-want)) > 300 {
			audioOK = false
		}
		voiced := 0
		for _, v := range pcm {
			if v > 4000 || v < -4000 {
				voiced++
			}
		}
		if voiced > 4000 { // over 750 ms of the tone
			return "largo largo largo largo"
		}
		return "corto corto"
	}})
	defer s.Close()
	c, _, err := dial(t, s, "encoding=mulaw&sample_rate=8000&interim_results=true&endpointing=300", Key)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(websocket.BinaryMessage, ulaw(200*time.Millisecond, false)) // not part of the utterance
	c.WriteMessage(websocket.BinaryMessage, ulaw(500*time.Millisecond, true))
	c.WriteMessage(websocket.BinaryMessage, ulaw(400*time.Millisecond, false))
	c.WriteMessage(websocket.BinaryMessage, ulaw(time.Second, true))
	c.WriteMessage(websocket.BinaryMessage, ulaw(400*time.Millisecond, false))
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"CloseStream"}`))
	var got []string
	for _, m := range readAll(t, c) {
		if m.Type == "Results" {
			got = append(got, fmt.Sprintf("%s:%v", m.text(), m.SpeechFinal))
		}
	}
	want := []string{
		"corto:false", "corto corto:false", "corto corto:true",
		// The interim words change as the utterance grows.
		"corto:false", "corto corto:false", "largo largo largo largo:false", "largo largo largo largo:true",
		":false", // CloseStream: the silence after
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// Interims at every 200 ms of speech, with the utterance so far; the
	// final with all of it: its speech and the 300 ms of silence that
	// ended it.
	mu.Lock()
	defer mu.Unlock()
	wantCalls := []call{
		{1600, 8000, false}, {3200, 8000, false}, {4000 + 2400, 8000, true},
		{1600, 8000, false}, {3200, 8000, false}, {4800, 8000, false}, {6400, 8000, false}, {8000, 8000, false}, {8000 + 2400, 8000, true},
	}
	if !slices.Equal(calls, wantCalls) {
		t.Errorf("calls %v\nwant  %v", calls, wantCalls)
	}
	if !audioOK {
		t.Error("Recognize was not given the utterance's decoded audio from its first speech")
	}
}

// Unrecorded keeps no sessions, and still counts them.
func TestUnrecorded(t *testing.T) {
	s := New(Script{Transcript: "hola"})
	defer s.Close()
	s.Unrecorded()
	c, _, err := dial(t, s, query, Key)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(websocket.BinaryMessage, pcm(500*time.Millisecond, true))
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"CloseStream"}`))
	readAll(t, c)
	if n := len(s.Sessions()); n != 0 || s.Accepted() != 1 {
		t.Errorf("%d sessions kept, %d accepted", n, s.Accepted())
	}
}
