package sockio

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// Wrap returns c with reads and writes made as raw system calls when c is
// a socket of the runtime's own (a *net.TCPConn, a *net.UnixConn), and c
// itself otherwise (a pipe, a TLS connection). Its other methods are
// c's net.Conn methods and SyscallConn; the rest of c's (CloseWrite, say)
// it does not have.
func Wrap(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	return &conn{Conn: c, raw: raw}
}

type conn struct {
	net.Conn
	raw syscall.RawConn
}

// SyscallConn is c's own, for socket options.
func (c *conn) SyscallConn() (syscall.RawConn, error) { return c.raw, nil }

func (c *conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait for the poller
			}
			n, errno = int(r), e
			return true
		}
	})
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
	var n int
	var errno syscall.Errno
	err := c.raw.Write(func(fd uintptr) bool {
		for n < len(p) {
			rest := p[n:]
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rest[0])), uintptr(len(rest)))
			switch e {
			case 0:
				n += int(r)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // wait for the poller, then write the rest
			default:
				errno = e
				return true
			}
		}
		return true
	})
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
