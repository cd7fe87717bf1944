package twiliotest

// The wire: what the simulated caller sends (Twilio's messages to a
// stream) and what it accepts from the server (media, mark, clear).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// connectedMsg is the first message of every stream.
var connectedMsg = []byte(`{"event":"connected","protocol":"Call","version":"1.0.0"}`)

// appendInbound appends a media message carrying one frame of the
// caller's μ-law, in the field order encoding/json gives twilio.Event. It
// allocates nothing when dst has room.
func appendInbound(dst []byte, seq int64, streamSid string, chunk, timestampMs int64, ulaw []byte) []byte {
	dst = append(dst, `{"event":"media","sequenceNumber":"`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `","streamSid":"`...)
	dst = append(dst, streamSid...) // generated or checked: no escapes needed
	dst = append(dst, `","media":{"track":"inbound","chunk":"`...)
	dst = strconv.AppendInt(dst, chunk, 10)
	dst = append(dst, `","timestamp":"`...)
	dst = strconv.AppendInt(dst, timestampMs, 10)
	dst = append(dst, `","payload":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, ulaw)
	return append(dst, `"}}`...)
}

// marshal encodes a control message (start, dtmf, mark, stop): rare, so
// encoding/json and the protocol's own types, which hold only strings,
// slices and maps of strings and so always encode.
func marshal(ev twilio.Event) []byte {
	b, _ := json.Marshal(ev)
	return b
}

func seqString(seq int64) string { return strconv.FormatInt(seq, 10) }

// msgKind is what a valid server message asks for.
type msgKind uint8

const (
	msgMedia msgKind = iota + 1
	msgMark
	msgClear
)

// serverMsg is a decoded server message.
type serverMsg struct {
	kind  msgKind
	name  string // msgMark
	audio []byte // msgMedia: the μ-law, appended to the dst of parseServer
}

// serverJSON is a server message as encoding/json reads it.
type serverJSON struct {
	Event     string  `json:"event"`
	StreamSid *string `json:"streamSid"`
	Media     *struct {
		Payload *string `json:"payload"`
	} `json:"media"`
	Mark *struct {
		Name string `json:"name"`
	} `json:"mark"`
}

// parseServer decodes a message from the server for the stream whose
// `"streamSid":"…"` key and value are sidKey. Media in the compact form
// twilio.AppendMedia writes takes the fast path, which appends the μ-law to
// dst without allocating; anything else goes through encoding/json. The
// error wraps ErrBadMessage, ErrUnknownEvent or ErrWrongStream.
func parseServer(dst, msg []byte, sidKey []byte, streamSid string) (serverMsg, error) {
	if a, ok := twilio.ParseMedia(dst, msg); ok && bytes.Contains(msg, sidKey) {
		return serverMsg{kind: msgMedia, audio: a}, nil
	}
	var m serverJSON
	if err := json.Unmarshal(msg, &m); err != nil {
		return serverMsg{audio: dst}, fmt.Errorf("%w: %v: %s", ErrBadMessage, err, excerpt(msg))
	}
	var out serverMsg
	out.audio = dst
	switch m.Event {
	case "media":
		out.kind = msgMedia
	case "mark":
		out.kind = msgMark
	case "clear":
		out.kind = msgClear
	default:
		return out, fmt.Errorf("%w: %q: %s", ErrUnknownEvent, m.Event, excerpt(msg))
	}
	if m.StreamSid == nil || *m.StreamSid != streamSid {
		return out, fmt.Errorf("%w: %s", ErrWrongStream, excerpt(msg))
	}
	switch out.kind {
	case msgMedia:
		if m.Media == nil || m.Media.Payload == nil {
			return out, fmt.Errorf("%w: media without payload: %s", ErrBadMessage, excerpt(msg))
		}
		a, err := base64.StdEncoding.AppendDecode(dst, []byte(*m.Media.Payload))
		if err != nil {
			return out, fmt.Errorf("%w: media payload: %v", ErrBadMessage, err)
		}
		out.audio = a
	case msgMark:
		if m.Mark == nil || m.Mark.Name == "" {
			return out, fmt.Errorf("%w: mark without name: %s", ErrBadMessage, excerpt(msg))
		}
		out.name = m.Mark.Name
	}
	return out, nil
}

// excerpt quotes the start of a message for an error.
func excerpt(msg []byte) string {
	const n = 80
	if len(msg) > n {
		return strconv.Quote(string(msg[:n])) + "…"
	}
	return strconv.Quote(string(msg))
}
