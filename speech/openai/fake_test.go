package openai

import (
	"bytes"
	"encoding/binary"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/internal/openaitest"
)

// The fake is as strict as the API, so that passing against it means
// something: it refuses what the real server refuses.
func TestFakeIsStrict(t *testing.T) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{}))
	defer srv.Close()
	tone := make([]int16, 1600)
	for i := range tone {
		tone[i] = int16(8000 * (i % 2))
	}
	wav := appendWAV(nil, tone, 16000)
	form := func(file []byte, name string, fields ...string) (*bytes.Buffer, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		if file != nil {
			part, _ := w.CreateFormFile("file", name)
			part.Write(file)
		}
		for i := 0; i+1 < len(fields); i += 2 {
			w.WriteField(fields[i], fields[i+1])
		}
		w.Close()
		return &b, w.FormDataContentType()
	}
	badSize := bytes.Clone(wav)
	binary.LittleEndian.PutUint32(badSize[4:], 1000)
	badData := bytes.Clone(wav)
	binary.LittleEndian.PutUint32(badData[40:], 5000)
	stereo := bytes.Clone(wav)
	binary.LittleEndian.PutUint16(stereo[22:], 2)
	for _, c := range []struct {
		name   string
		file   []byte
		fname  string
		fields []string
		status int
	}{
		{"valid", wav, "a.wav", []string{"model", "whisper-1"}, 200},
		{"no model", wav, "a.wav", nil, 400},
		{"no file", nil, "", []string{"model", "whisper-1"}, 400},
		{"not a wav", []byte("hello, this is not audio at all"), "a.wav", []string{"model", "whisper-1"}, 400},
		{"mp3 name", wav, "a.mp3", []string{"model", "whisper-1"}, 400},
		{"RIFF size", badSize, "a.wav", []string{"model", "whisper-1"}, 400},
		{"data size", badData, "a.wav", []string{"model", "whisper-1"}, 400},
		{"inconsistent fmt", stereo, "a.wav", []string{"model", "whisper-1"}, 400},
		{"too short", appendWAV(nil, tone[:1500], 16000), "a.wav", []string{"model", "whisper-1"}, 400},
		{"language", wav, "a.wav", []string{"model", "whisper-1", "language", "spanish"}, 400},
	} {
		body, ct := form(c.file, c.fname, c.fields...)
		resp, err := http.Post(srv.URL+"/audio/transcriptions", ct, body)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, msg, c.status)
		}
	}
	if r := srv.Transcriptions()[0]; r.Duration != 100*time.Millisecond || r.SampleRate != 16000 {
		t.Errorf("valid: %v at %d Hz", r.Duration, r.SampleRate)
	}
	for _, c := range []struct {
		body   string
		status int
	}{
		{`{"model":"tts-1","input":"hola","voice":"alloy","response_format":"pcm"}`, 200},
		{`{"model":"tts-1","input":"hola","voice":"alloy","response_format":"pcm","sample_rate":16000}`, 400},
		{`{"model":"tts-1","input":"hola","voice":"alloy"}`, 400},
		{`{"model":"tts-1","input":"","voice":"alloy","response_format":"pcm"}`, 400},
		{`{"input":"hola","voice":"alloy","response_format":"pcm"}`, 400},
		{`{"model":"tts-1","input":"hola","response_format":"pcm"}`, 400},
		{`{"model":"tts-1","input":"hola","voice":"alloy","response_format":"pcm","speed":9}`, 400},
		{`{"model":`, 400},
	} {
		resp, err := http.Post(srv.URL+"/audio/speech", "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %.100s, want %d", c.body, resp.StatusCode, msg, c.status)
		}
	}
}
