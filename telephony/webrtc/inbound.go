package webrtc

import (
	"encoding/binary"

	"github.com/pion/opus"

	"github.com/voiceagent/voiceagent/telephony"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// frameLen is 20 ms at telephony.Rate: one PCMU packet of a browser.
const frameLen = telephony.Rate / 50

// maxFill bounds the silence written for audio that never came (lost
// packets, a pause in the caller's stream): up to a second keeps the
// call's clock; a longer gap is a new start.
const maxFill = telephony.Rate

// rtpHeader is what the receive path reads of an RTP packet.
type rtpHeader struct {
	pt  uint8
	seq uint16
	ts  uint32
}

// parseRTP reads an RTP packet's header and returns its payload (without
// CSRCs, extension or padding), or false when it is not RTP version 2 or
// is cut short. It allocates nothing.
func parseRTP(b []byte) (rtpHeader, []byte, bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return rtpHeader{}, nil, false
	}
	h := rtpHeader{pt: b[1] & 0x7f, seq: binary.BigEndian.Uint16(b[2:]), ts: binary.BigEndian.Uint32(b[4:])}
	off := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 { // a header extension
		if len(b) < off+4 {
			return rtpHeader{}, nil, false
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	end := len(b)
	if b[0]&0x20 != 0 { // padding: its length is the last byte
		end -= int(b[end-1])
	}
	if off > end {
		return rtpHeader{}, nil, false
	}
	return h, b[off:end], true
}

// inbound is a call's receive path: RTP packets of PCMU and
// telephone-event, as the remote track reads them, to the call as whole
// 20 ms frames of PCM16 in order and keys. Packets that come late (older
// than one taken) are dropped; audio that never came is written as
// silence, up to maxFill. It is driven by the one goroutine that reads
// the track, and allocates nothing per packet once its buffers have grown
// to the largest packet.
type inbound struct {
	pcmu, event uint8 // the payload types negotiated; event 0 when none
	// opus is Opus's payload type when it was negotiated too (0 when
	// not): a client that prefers it sends it, decoded in pure Go to
	// telephony.Rate. Its RTP clock is 48 kHz.
	opus uint8
	dec  *opus.Decoder // made on the first Opus packet
	// opusBad counts Opus packets that did not decode.
	opusBad int

	started bool
	lastSeq uint16 // of the newest packet taken
	heard   bool   // audio has come
	nextTS  uint32 // the timestamp the next audio should have, once it has

	keyStarted bool
	keyTS      uint32 // of the last key event taken

	pcm    audio.PCM16
	framer *audio.Framer[int16]

	// counters, for the call's end
	packets, late, filled int
}

func newInbound(pcmu, event uint8) *inbound {
	f, _ := audio.NewFramer[int16](frameLen)
	return &inbound{pcmu: pcmu, event: event, pcm: make(audio.PCM16, 0, 4*frameLen), framer: f}
}

// silence is a frame of zeros, written for audio that never came.
var silence [frameLen]int16

// packet takes one RTP packet for call.
func (in *inbound) packet(b []byte, call telephony.Inbound) {
	h, payload, ok := parseRTP(b)
	if !ok {
		return
	}
	if in.started && int16(h.seq-in.lastSeq) <= 0 {
		in.late++ // a duplicate, or overtaken by a newer packet
		return
	}
	in.started, in.lastSeq = true, h.seq
	in.packets++
	switch {
	case h.pt == in.pcmu:
		in.audio(h.ts, payload, call)
	case in.opus != 0 && h.pt == in.opus:
		in.opusAudio(h.ts, payload, call)
	case in.event != 0 && h.pt == in.event:
		in.key(h.ts, payload, call)
	}
}

// audio writes a packet of PCMU: first any gap before it as silence,
// then its samples, in whole frames.
func (in *inbound) audio(ts uint32, ulaw []byte, call telephony.Inbound) {
	in.fill(ts, call)
	in.heard, in.nextTS = true, ts+uint32(len(ulaw))
	in.pcm = audio.DecodeUlaw(in.pcm[:0], ulaw)
	in.framer.Write(in.pcm)
	in.flush(call)
}

// opusPerSample is how many ticks of Opus's 48 kHz RTP clock one sample
// at telephony.Rate lasts.
const opusPerSample = 48000 / telephony.Rate

// maxOpus is the most samples one Opus packet holds at telephony.Rate:
// 120 ms.
const maxOpus = telephony.Rate * 120 / 1000

// opusAudio decodes a packet of Opus to telephony.Rate and writes it as
// audio does PCMU; a packet that does not decode counts as lost.
func (in *inbound) opusAudio(ts uint32, payload []byte, call telephony.Inbound) {
	if in.dec == nil {
		d, err := opus.NewDecoderWithOutput(telephony.Rate, 1)
		if err != nil {
			in.opusBad++
			return
		}
		in.dec = &d
	}
	t := ts / opusPerSample // in samples at telephony.Rate (a wrap of the 48 kHz clock, every 25 hours, skips one fill)
	if cap(in.pcm) < maxOpus {
		in.pcm = make(audio.PCM16, 0, maxOpus)
	}
	n, err := in.dec.DecodeToInt16(payload, in.pcm[:maxOpus])
	if err != nil || n <= 0 {
		in.opusBad++
		return
	}
	in.fill(t, call)
	in.heard, in.nextTS = true, t+uint32(n)
	in.framer.Write(in.pcm[:n])
	in.flush(call)
}

// fill writes as silence the audio that never came before the sample at
// ts (in samples at telephony.Rate), up to maxFill.
func (in *inbound) fill(ts uint32, call telephony.Inbound) {
	if gap := int32(ts - in.nextTS); in.heard && gap > 0 && gap <= maxFill {
		in.filled += int(gap)
		for n := int(gap); n > 0; {
			k := min(n, frameLen)
			in.framer.Write(silence[:k])
			n -= k
			in.flush(call)
		}
	}
}

func (in *inbound) flush(call telephony.Inbound) {
	for {
		f, ok := in.framer.Next()
		if !ok {
			return
		}
		_ = call.WriteSample(f) // a call takes audio without fail
	}
}

// events are the keys of RFC 4733's telephone-event codes 0-11; 12-15
// (A-D) are not keys of a phone.
const events = "0123456789*#"

// key takes a telephone-event packet (RFC 4733): a key is taken once, on
// the first packet of its event (a new timestamp), however often the
// event is repeated or ended.
func (in *inbound) key(ts uint32, payload []byte, call telephony.Inbound) {
	if len(payload) < 4 || int(payload[0]) >= len(events) {
		return
	}
	if in.keyStarted && ts == in.keyTS {
		return
	}
	in.keyStarted, in.keyTS = true, ts
	call.DTMF(events[payload[0] : payload[0]+1])
}
