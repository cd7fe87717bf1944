package webrtc

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/voiceagent/voiceagent/telephony"
)

// opusPackets encodes pcm (mono, 48 kHz) with libopus's opusenc as a
// browser would (20 ms frames, 32 kbit/s) and returns its packets; the
// test skips without opusenc unless VOICEAGENT_REQUIRE_OPUSENC=1 (CI
// installs opus-tools).
func opusPackets(t *testing.T, pcm []int16) [][]byte {
	t.Helper()
	enc, err := exec.LookPath("opusenc")
	if err != nil {
		if os.Getenv("VOICEAGENT_REQUIRE_OPUSENC") == "1" {
			t.Fatal("opusenc is not installed (apt-get install opus-tools)")
		}
		t.Skip("opusenc is not installed (apt-get install opus-tools)")
	}
	dir := t.TempDir()
	var wav bytes.Buffer
	wav.WriteString("RIFF")
	_ = binary.Write(&wav, binary.LittleEndian, uint32(36+2*len(pcm)))
	wav.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(48000), uint32(96000), uint16(2), uint16(16)} {
		_ = binary.Write(&wav, binary.LittleEndian, v)
	}
	wav.WriteString("data")
	_ = binary.Write(&wav, binary.LittleEndian, uint32(2*len(pcm)))
	_ = binary.Write(&wav, binary.LittleEndian, pcm)
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.opus")
	if err := os.WriteFile(in, wav.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(enc, "--quiet", "--bitrate", "32", "--framesize", "20", in, out).CombinedOutput(); err != nil {
		t.Fatalf("opusenc: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// Ogg pages (RFC 3533): a packet is the segments up to one shorter
	// than 255 bytes. The first two packets are OpusHead and OpusTags.
	var packets [][]byte
	var cur []byte
	for len(data) >= 27 && string(data[:4]) == "OggS" {
		n := int(data[26])
		lacing := data[27 : 27+n]
		body := data[27+n:]
		for _, l := range lacing {
			cur = append(cur, body[:l]...)
			body = body[l:]
			if l < 255 {
				packets = append(packets, cur)
				cur = nil
			}
		}
		data = body
	}
	if len(packets) < 3 {
		t.Fatalf("%d packets in the Ogg file", len(packets))
	}
	return packets[2:]
}

// TestOpusInbound: a caller that sends Opus (libopus, as browsers encode
// it) is decoded in pure Go to whole frames at telephony.Rate, the tone
// kept; a lost packet is filled with silence; a packet that is not Opus
// is counted, not written.
func TestOpusInbound(t *testing.T) {
	const secs = 1
	pcm := make([]int16, 48000*secs)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	packets := opusPackets(t, pcm)
	in := newInbound(ptPCMU, ptEvent)
	in.opus = ptOpus
	rec := &sinkRec{}
	rtp := func(seq uint16, ts uint32, payload []byte) []byte {
		b := make([]byte, 12, 12+len(payload))
		b[0], b[1] = 0x80, ptOpus
		binary.BigEndian.PutUint16(b[2:], seq)
		binary.BigEndian.PutUint32(b[4:], ts)
		return append(b, payload...)
	}
	for i, p := range packets {
		if i == 10 {
			continue // lost
		}
		in.packet(rtp(uint16(i), uint32(i*960), p), rec)
	}
	in.packet(rtp(uint16(len(packets)), uint32(len(packets)*960), []byte{0xff, 0xff, 0xff}), rec)
	rec.mu.Lock()
	got, writes := rec.audio, rec.writes
	rec.mu.Unlock()
	want := len(packets) * telephony.Rate / 50
	if len(got) < want-frameLen || len(got) > want {
		t.Errorf("%d samples from %d packets of 20 ms; want about %d", len(got), len(packets), want)
	}
	for _, n := range writes {
		if n != frameLen {
			t.Fatalf("a write of %d samples; want whole frames of %d", n, frameLen)
		}
	}
	if in.filled != frameLen {
		t.Errorf("filled %d samples for the lost packet; want %d", in.filled, frameLen)
	}
	if in.opusBad != 1 {
		t.Errorf("%d packets did not decode; want the one that is not Opus", in.opusBad)
	}
	// The tone: its energy at 440 Hz (Goertzel) is most of the signal's,
	// past the codec's start.
	mid := got[len(got)/4 : len(got)*3/4]
	var total, s1, s2 float64
	c := 2 * math.Cos(2*math.Pi*440/telephony.Rate)
	for _, x := range mid {
		v := float64(x)
		total += v * v
		s1, s2 = v+c*s1-s2, s1
	}
	tone := (s1*s1 + s2*s2 - c*s1*s2) * 2 / float64(len(mid))
	if total == 0 || tone/total < 0.8 {
		t.Errorf("the 440 Hz tone is %.2f of the decoded audio's energy; want most of it", tone/math.Max(total, 1))
	}
}
