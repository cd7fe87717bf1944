//go:build linux && race

package sockio

import "syscall"

// sysRead and sysWrite, under the race detector, are package syscall's:
// theirs tell the detector what the kernel read and wrote, and order a
// write before the read that gets its bytes, as package net's do, so the
// tests see what the detector would see without sockio.
func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return max(n, 0), errno(err)
}

func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	return max(n, 0), errno(err)
}

func errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return syscall.EIO
}
