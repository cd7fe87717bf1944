//go:build !linux

package sockio

import "net"

// raw reports whether c reads and writes with raw system calls: never,
// off Linux.
func raw(net.Conn) bool { return false }
