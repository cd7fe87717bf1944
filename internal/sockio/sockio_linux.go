package sockio

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// Wrap returns c with reads and writes made as raw system calls when c is
// a stream socket of the runtime's own (a *net.TCPConn, or a *net.UnixConn
// of network "unix"), and c itself otherwise (a pipe, a TLS connection, a
// type of a listener's that reads its own way). Its other methods are c's
// net.Conn methods and SyscallConn; the rest of c's (CloseWrite, say) it
// does not have.
func Wrap(c net.Conn) net.Conn {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return c
	}
	if a := c.LocalAddr(); a == nil || a.Network() != "tcp" && a.Network() != "unix" {
		return c // a datagram or packet socket, or one whose address is unknown
	}
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return c
	}
	w := &conn{Conn: c, raw: raw}
	w.r.fn, w.w.fn = w.r.read, w.w.write
	return w
}

type conn struct {
	net.Conn
	raw  syscall.RawConn
	r, w op
}

// op is the read, or the write, in progress: one at a time, as in the
// runtime's own connections. Its function is made once, so that a read or
// write allocates nothing.
type op struct {
	mu    sync.Mutex
	p     []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// read reads into p once the socket has something: false when it has
// nothing yet.
func (o *op) read(fd uintptr) bool {
	for {
		r, e := sysRead(fd, o.p)
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait for the poller
		}
		o.n, o.errno = r, e
		return true
	}
}

// write writes the rest of p: false when the socket cannot take more yet.
func (o *op) write(fd uintptr) bool {
	for o.n < len(o.p) {
		rest := o.p[o.n:]
		r, e := sysWrite(fd, rest)
		switch e {
		case 0:
			if r == 0 { // cannot happen on a stream socket; do not spin
				o.errno = syscall.EIO
				return true
			}
			o.n += r
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false // wait for the poller, then write the rest
		default:
			o.errno = e
			return true
		}
	}
	return true
}

// do runs o over p with f (the raw connection's Read or Write).
func (o *op) do(p []byte, f func(func(uintptr) bool) error) (int, syscall.Errno, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.p, o.n, o.errno = p, 0, 0
	err := f(o.fn)
	o.p = nil
	return o.n, o.errno, err
}

// done ends a raw read or write at once.
func done(uintptr) bool { return true }

// SyscallConn is c's own, for socket options.
func (c *conn) SyscallConn() (syscall.RawConn, error) { return c.raw, nil }

func (c *conn) Read(p []byte) (int, error) {
	if len(p) == 0 { // nothing to read, but a closed connection says so
		if err := c.raw.Read(done); err != nil {
			return 0, opError(c.Conn, "read", err)
		}
		return 0, nil
	}
	n, errno, err := c.r.do(p, c.raw.Read)
	switch {
	case err != nil:
		return 0, opError(c.Conn, "read", err)
	case errno != 0:
		return 0, opError(c.Conn, "read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *conn) Write(p []byte) (int, error) {
	n, errno, err := c.w.do(p, c.raw.Write)
	switch {
	case err != nil:
		return n, opError(c.Conn, "write", err)
	case errno != 0:
		return n, opError(c.Conn, "write", os.NewSyscallError("write", errno))
	}
	return n, nil
}

// opError wraps err as package net does, so that callers' checks
// (errors.Is with os.ErrDeadlineExceeded or net.ErrClosed, net.Error's
// Timeout) see what they would see from the connection itself.
func opError(c net.Conn, op string, err error) error {
	var raw *net.OpError
	if errors.As(err, &raw) { // the raw connection's, as "raw-read"
		err = raw.Err
	}
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
