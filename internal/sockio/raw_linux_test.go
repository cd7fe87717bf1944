package sockio

import "net"

// raw reports whether c reads and writes with raw system calls.
func raw(c net.Conn) bool { _, ok := c.(*conn); return ok }
