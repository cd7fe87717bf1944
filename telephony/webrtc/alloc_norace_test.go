//go:build !race

package webrtc

import (
	"encoding/binary"
	"testing"
)

// TestAllocsPerPacket pins the receive path at zero allocations per
// packet once its buffers have grown: an RTP packet parsed, its PCMU
// decoded, cut into frames and written to the call; and a key's events.
func TestAllocsPerPacket(t *testing.T) {
	in := newInbound(0, 101)
	s := &discard{}
	audioPkt := packet(0, 0, 0, pcmu(160, 0x10))
	i := 0
	steady := func() {
		i++
		binary.BigEndian.PutUint16(audioPkt[2:], uint16(i))
		binary.BigEndian.PutUint32(audioPkt[4:], uint32(i*160))
		in.packet(audioPkt, s)
	}
	steady()
	if n := testing.AllocsPerRun(500, steady); n != 0 {
		t.Errorf("audio: %.1f allocations per packet", n)
	}
	// A lost packet's silence costs nothing either.
	lossy := func() {
		i += 2
		binary.BigEndian.PutUint16(audioPkt[2:], uint16(i))
		binary.BigEndian.PutUint32(audioPkt[4:], uint32(i*160))
		in.packet(audioPkt, s)
	}
	if n := testing.AllocsPerRun(500, lossy); n != 0 {
		t.Errorf("audio after a loss: %.1f allocations per packet", n)
	}
	keyPkt := packet(101, 0, 0, event(5, false, 160))
	keys := func() {
		i++
		binary.BigEndian.PutUint16(keyPkt[2:], uint16(i))
		binary.BigEndian.PutUint32(keyPkt[4:], uint32(i*160))
		in.packet(keyPkt, s)
	}
	if n := testing.AllocsPerRun(500, keys); n != 0 {
		t.Errorf("keys: %.1f allocations per packet", n)
	}
}
