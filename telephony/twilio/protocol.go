// Package twilio speaks Twilio's side of a phone call: the Media Streams
// websocket protocol (μ-law 8 kHz media, marks, clear, DTMF), the TwiML
// that connects a call to a stream, and the X-Twilio-Signature check.
//
// Media frames come fifty times a second per call, so they have a fast
// path: ParseMedia reads the payload of an inbound media message straight
// into a caller's buffer and AppendMedia writes an outbound one into
// another, with no allocation; every other message goes through
// encoding/json.
package twilio

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Event is an inbound Media Streams message, decoded.
type Event struct {
	Event          string `json:"event"`
	SequenceNumber string `json:"sequenceNumber,omitempty"`
	StreamSid      string `json:"streamSid,omitempty"`
	Start          *Start `json:"start,omitempty"`
	Media          *Media `json:"media,omitempty"`
	DTMF           *DTMF  `json:"dtmf,omitempty"`
	Mark           *Mark  `json:"mark,omitempty"`
	Stop           *Stop  `json:"stop,omitempty"`
}

// Start describes the stream: the call, its format and the parameters the
// TwiML passed (<Parameter name="agent" value="…"/>).
type Start struct {
	AccountSid       string            `json:"accountSid"`
	StreamSid        string            `json:"streamSid"`
	CallSid          string            `json:"callSid"`
	Tracks           []string          `json:"tracks"`
	MediaFormat      MediaFormat       `json:"mediaFormat"`
	CustomParameters map[string]string `json:"customParameters"`
}

// MediaFormat is the audio's encoding: audio/x-mulaw, 8000 Hz, 1 channel.
type MediaFormat struct {
	Encoding   string `json:"encoding"`
	SampleRate int    `json:"sampleRate"`
	Channels   int    `json:"channels"`
}

// Media is audio: base64 μ-law in Payload.
type Media struct {
	Track     string `json:"track,omitempty"`
	Chunk     string `json:"chunk,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
	Payload   string `json:"payload"`
}

// DTMF is a key the caller pressed.
type DTMF struct {
	Track string `json:"track,omitempty"`
	Digit string `json:"digit"`
}

// Mark is a label: sent after audio, Twilio echoes it when that audio has
// been played.
type Mark struct {
	Name string `json:"name"`
}

// Stop ends the stream.
type Stop struct {
	AccountSid string `json:"accountSid"`
	CallSid    string `json:"callSid"`
}

// MaxMessage is the largest message accepted from Twilio. A media message
// of 20 ms is about 400 bytes; start carries the custom parameters.
const MaxMessage = 64 << 10

// Parse decodes any inbound message.
func Parse(msg []byte) (Event, error) {
	var ev Event
	if len(msg) > MaxMessage {
		return ev, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(msg))
	}
	if err := json.Unmarshal(msg, &ev); err != nil {
		return ev, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	switch ev.Event {
	case "start":
		if ev.Start == nil {
			return ev, fmt.Errorf("%w: start without start", ErrBadMessage)
		}
		if ev.StreamSid == "" {
			ev.StreamSid = ev.Start.StreamSid
		}
	case "media":
		if ev.Media == nil {
			return ev, fmt.Errorf("%w: media without media", ErrBadMessage)
		}
	case "dtmf":
		if ev.DTMF == nil || len(ev.DTMF.Digit) != 1 {
			return ev, fmt.Errorf("%w: dtmf without one digit", ErrBadMessage)
		}
	case "mark":
		if ev.Mark == nil {
			return ev, fmt.Errorf("%w: mark without mark", ErrBadMessage)
		}
	case "connected", "stop":
	default:
		return ev, fmt.Errorf("%w: unknown event %q", ErrBadMessage, ev.Event)
	}
	return ev, nil
}

var (
	mediaEvent  = []byte(`"event":"media"`)
	payloadKey  = []byte(`"payload":"`)
	trackKey    = []byte(`"track":"`)
	inboundName = []byte("inbound")
)

// ParseMedia is the fast path for inbound media: when msg is a media
// message in Twilio's compact form it appends the decoded μ-law to dst and
// returns it with ok. For anything else (another event, escapes, an
// outbound track) ok is false and the caller uses Parse. It allocates
// nothing when dst has room for 3/4 of the payload's length.
func ParseMedia(dst, msg []byte) (audio []byte, ok bool) {
	if len(msg) > MaxMessage || !bytes.Contains(msg, mediaEvent) {
		return dst, false
	}
	if i := bytes.Index(msg, trackKey); i >= 0 {
		rest := msg[i+len(trackKey):]
		if !bytes.HasPrefix(rest, inboundName) {
			return dst, false
		}
	}
	i := bytes.Index(msg, payloadKey)
	if i < 0 {
		return dst, false
	}
	p := msg[i+len(payloadKey):]
	end := bytes.IndexByte(p, '"')
	if end < 0 || bytes.IndexByte(p[:end], '\\') >= 0 || bytes.Contains(p[end:], payloadKey) {
		return dst, false // escapes, or a second payload: let encoding/json decide
	}
	p = p[:end]
	n := base64.StdEncoding.DecodedLen(len(p))
	if cap(dst)-len(dst) < n {
		dst = append(dst, make([]byte, n)...)[:len(dst)]
	}
	w, err := base64.StdEncoding.Decode(dst[len(dst):len(dst)+n], p)
	if err != nil {
		return dst, false
	}
	return dst[:len(dst)+w], true
}

// AppendMedia appends an outbound media message carrying μ-law audio.
func AppendMedia(dst []byte, streamSid string, ulaw []byte) []byte {
	dst = append(dst, `{"event":"media","streamSid":`...)
	dst = appendString(dst, streamSid)
	dst = append(dst, `,"media":{"payload":"`...)
	n := base64.StdEncoding.EncodedLen(len(ulaw))
	if cap(dst)-len(dst) < n+3 {
		dst = append(dst, make([]byte, n+3)...)[:len(dst)]
	}
	base64.StdEncoding.Encode(dst[len(dst):len(dst)+n], ulaw)
	dst = dst[:len(dst)+n]
	return append(dst, `"}}`...)
}

// AppendMark appends an outbound mark message: Twilio echoes it once the
// audio sent before it has been played.
func AppendMark(dst []byte, streamSid, name string) []byte {
	dst = append(dst, `{"event":"mark","streamSid":`...)
	dst = appendString(dst, streamSid)
	dst = append(dst, `,"mark":{"name":`...)
	dst = appendString(dst, name)
	return append(dst, `}}`...)
}

// AppendClear appends an outbound clear message: Twilio drops the audio it
// has buffered and echoes every pending mark.
func AppendClear(dst []byte, streamSid string) []byte {
	dst = append(dst, `{"event":"clear","streamSid":`...)
	dst = appendString(dst, streamSid)
	return append(dst, '}')
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
			i++
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\ufffd"...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(dst, '"')
}
