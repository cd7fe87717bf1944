package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// offerSDP is a browser-like offer: PCMU among others, a data channel.
const offerSDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"a=group:BUNDLE 0 1\r\na=msid-semantic: WMS\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 0 126\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
	"a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n" +
	"a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sctp-port:5000\r\n"

// FuzzParseOffer: whatever a page posts, the parser neither panics nor
// takes an offer it should refuse; its refusals are Refusals with a
// message.
func FuzzParseOffer(f *testing.F) {
	for _, seed := range []string{
		`{"agent":"ana","sdp":` + quote(offerSDP) + `}`,
		`{"sdp":` + quote(strings.Replace(offerSDP, "a=rtpmap:0 PCMU/8000\r\n", "", 1)) + `}`,
		`{"sdp":` + quote(strings.Replace(offerSDP, " 111 0 126", " 111 126", 1)) + `}`,
		`{"agent":"\u0000","sdp":"v=0"}`,
		`{"agent":"ana","sdp":"v=0\r\nm=audio 9 RTP/AVP 0\r\n"}`,
		`{"agent":"ana","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"}`,
		`{"agent":1}`, `[]`, `null`, `{`, ``, `{"sdp":"   "}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseOffer(body)
		if err != nil {
			var r *Refusal
			if !errors.As(err, &r) || r.Message == "" || r.Status < 400 || r.Status > 499 {
				t.Fatalf("refused with %v; want a Refusal of 4xx with a message", err)
			}
			return
		}
		if !validAgent(o.agent) || strings.TrimSpace(o.sdp) == "" {
			t.Fatalf("took %+v", o)
		}
		var req OfferRequest
		if json.Unmarshal(body, &req) != nil || req.SDP != o.sdp || req.Agent != o.agent {
			t.Fatalf("took %+v from %q", o, body)
		}
	})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// FuzzPackets: whatever comes on the media port as RTP — cut short,
// with any header bits, any payload type, sequence or timestamp — the
// receive path neither panics nor hands the call anything but whole
// frames. Packets are the input's chunks, each led by its length byte.
func FuzzPackets(f *testing.F) {
	f.Add(append([]byte{172}, packet(0, 1, 0, pcmu(160, 0x10))...))
	f.Add(append(append([]byte{16}, packet(101, 1, 0, event(5, false, 160))...), append([]byte{16}, packet(101, 2, 0, event(5, true, 320))...)...))
	f.Add([]byte{12, 0xBF, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := newInbound(0, 101)
		s := &sinkRec{}
		for len(data) > 0 {
			n := min(int(data[0]), len(data)-1)
			in.packet(data[1:1+n], s)
			data = data[1+n:]
		}
		for _, n := range s.writes {
			if n != frameLen {
				t.Fatalf("a write of %d samples", n)
			}
		}
		for _, k := range s.keys {
			if len(k) != 1 || !strings.Contains(events, k) {
				t.Fatalf("key %q", k)
			}
		}
	})
}

// FuzzControl: whatever a page sends on the control channel, the call
// neither panics nor takes a key that is not one.
func FuzzControl(f *testing.F) {
	for _, seed := range []string{
		`{"type":"dtmf","digit":"5"}`, `{"type":"dtmf","digit":"55"}`, `{"type":"dtmf","digit":"A"}`,
		`{"type":"hangup"}`, `{"type":"mark","id":3}`, `{"type":"mark","id":-1}`, `{"type":"nope"}`,
		`{"type":"dtmf"}`, `[1,2]`, `{`, strings.Repeat("x", 2000),
	} {
		f.Add([]byte(seed))
	}
	tr := &Transport{cfg: Config{PlayoutDelay: time.Second}, ctx: context.Background(), log: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, msg []byte) {
		c := newCall(tr, offer{})
		s := &sinkRec{}
		c.sink.Store(&sink{call: s})
		_ = c.line.WriteSample(make([]int16, 3*frameLen))
		_ = c.line.Mark("m")
		c.onControl(msg)
		for _, k := range s.keys {
			if len(k) != 1 || !strings.Contains(events, k) {
				t.Fatalf("key %q from %q", k, msg)
			}
		}
	})
}
