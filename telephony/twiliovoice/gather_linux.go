package twiliovoice

import (
	"net"
	"syscall"
)

// gather has the kernel wake the network poller for conn only once n
// bytes have come (SO_RCVLOWAT); a read still takes what has come. It
// does nothing for a connection that is not a socket of its own (a test's
// pipe).
func gather(conn net.Conn, n int) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, n)
	})
}
