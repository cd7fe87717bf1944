//go:build !race

package sockio

import (
	"io"
	"testing"
)

// TestNoAllocations: a wrapped connection's read and write allocate
// nothing (the race detector allocates alongside, hence !race).
func TestNoAllocations(t *testing.T) {
	c, peer := pair(t)
	peer = Wrap(peer)
	msg, buf := make([]byte, 350), make([]byte, 350)
	if n := testing.AllocsPerRun(100, func() {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(peer, buf); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per message written and read", n)
	}
}
