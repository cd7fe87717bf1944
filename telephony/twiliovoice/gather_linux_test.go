package twiliovoice

import (
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/internal/sockio"
)

// lowat is the socket's SO_RCVLOWAT.
func lowat(t *testing.T, conn net.Conn) int {
	t.Helper()
	raw, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var serr error
	if err := raw.Control(func(fd uintptr) { n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT) }); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	return n
}

// While its call is quiet, a stream's socket gathers gatherBytes before
// waking the poller, and not otherwise; a read still takes the few bytes
// that came, without waiting for more.
func TestGather(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	var quiet atomic.Bool
	c := &quietConn{Conn: sockio.Wrap(server), clock: newClock(6 * time.Millisecond)} // as the hijacker makes it
	c.follow(quiet.Load)
	buf := make([]byte, 2048)
	for _, step := range []struct {
		quiet bool
		want  int
	}{{false, 1}, {true, gatherBytes}, {true, gatherBytes}, {false, 1}, {true, gatherBytes}} {
		quiet.Store(step.quiet)
		if _, err := peer.Write([]byte("twenty bytes of it..")); err != nil {
			t.Fatal(err)
		}
		_ = server.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang fails, not a timing
		n, err := c.Read(buf)
		if err != nil || n != 20 {
			t.Fatalf("quiet %v: read %d bytes (%v), want the 20 that came", step.quiet, n, err)
		}
		if got := lowat(t, server); max(got, 1) != step.want { // 0 and 1 both mean a byte
			t.Errorf("quiet %v: SO_RCVLOWAT %d, want %d", step.quiet, got, step.want)
		}
	}
}
