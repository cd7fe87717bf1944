package sockio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pair is a loopback TCP connection: the dialled end, wrapped unless
// plain, and the accepted end, as it is.
func pair(t testing.TB, plain ...bool) (c, peer net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer = <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	if len(plain) == 0 || !plain[0] {
		c = Wrap(c)
	}
	t.Cleanup(func() { c.Close(); peer.Close() })
	return c, peer
}

func TestWrap(t *testing.T) {
	c, peer := pair(t)
	if raw(c) != (runtime.GOOS == "linux") {
		t.Errorf("a TCP connection wrapped as %T on %s", c, runtime.GOOS)
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		t.Fatalf("%T is not a syscall.Conn", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	if err := rc.Control(func(f uintptr) { fd = f }); err != nil || fd == 0 {
		t.Errorf("Control: fd %d, %v", fd, err)
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	for _, other := range []net.Conn{p1, struct{ net.Conn }{p2}, ownRead{peer.(*net.TCPConn)}} {
		if Wrap(other) != other {
			t.Errorf("a %T was wrapped", other)
		}
	}
	dir := t.TempDir()
	for _, network := range []string{"unix", "unixgram"} {
		addr := &net.UnixAddr{Name: dir + "/" + network, Net: network}
		var u *net.UnixConn
		if network == "unix" {
			ln, err := net.ListenUnix(network, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				if c, err := ln.Accept(); err == nil {
					c.Close()
				}
			}()
			if u, err = net.DialUnix(network, nil, addr); err != nil {
				t.Fatal(err)
			}
		} else {
			var err error
			if u, err = net.ListenUnixgram(network, addr); err != nil {
				t.Fatal(err)
			}
		}
		defer u.Close()
		if got := raw(Wrap(u)); got != (network == "unix" && runtime.GOOS == "linux") {
			t.Errorf("a %s connection wrapped: %v", network, got)
		}
	}
}

// ownRead is a listener's connection type that reads its own way: Wrap
// must not go around it.
type ownRead struct{ *net.TCPConn }

func (ownRead) Read([]byte) (int, error) { return 0, io.EOF }

// TestCopy sends data both ways through the wrapped end, in writes larger
// than the socket's buffers (so that writes wait for the poller part way)
// and reads of any size.
func TestCopy(t *testing.T) {
	for _, size := range []int{1, 350, 64 << 10, 8 << 20} {
		c, peer := pair(t)
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rand.IntN(256))
		}
		got := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(peer)
			got <- b
		}()
		if n, err := c.Write(data); n != size || err != nil {
			t.Fatalf("%d bytes: Write = %d, %v", size, n, err)
		}
		c.Close()
		if b := <-got; !bytes.Equal(b, data) {
			t.Fatalf("%d bytes written, %d read back, equal %v", size, len(b), bytes.Equal(b, data))
		}

		c, peer = pair(t)
		go func() {
			peer.Write(data)
			peer.Close()
		}()
		var back []byte
		buf := make([]byte, 1+rand.IntN(5000))
		for {
			n, err := c.Read(buf)
			back = append(back, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%d bytes: Read: %v", size, err)
			}
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("%d bytes sent, %d read", size, len(back))
		}
	}
}

// TestErrors: the wrapped end fails as package net's connection does, by
// errors.Is, net.Error and message.
func TestErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(c, peer net.Conn)
		op    func(c net.Conn) error
		is    error
	}{
		{"read deadline", func(c, _ net.Conn) { c.SetReadDeadline(time.Now().Add(-time.Second)) },
			func(c net.Conn) error { _, err := c.Read(make([]byte, 10)); return err }, os.ErrDeadlineExceeded},
		{"read deadline while waiting", func(c, _ net.Conn) { c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)) },
			func(c net.Conn) error { _, err := c.Read(make([]byte, 10)); return err }, os.ErrDeadlineExceeded},
		{"write deadline with the peer not reading", func(c, _ net.Conn) { c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond)) },
			func(c net.Conn) error { _, err := c.Write(make([]byte, 64<<20)); return err }, os.ErrDeadlineExceeded},
		{"empty read after close", func(c, _ net.Conn) { c.Close() },
			func(c net.Conn) error { _, err := c.Read(nil); return err }, net.ErrClosed},
		{"read after close", func(c, _ net.Conn) { c.Close() },
			func(c net.Conn) error { _, err := c.Read(make([]byte, 10)); return err }, net.ErrClosed},
		{"write after close", func(c, _ net.Conn) { c.Close() },
			func(c net.Conn) error { _, err := c.Write([]byte("x")); return err }, net.ErrClosed},
		{"read while closed", func(c, _ net.Conn) { time.AfterFunc(50*time.Millisecond, func() { c.Close() }) },
			func(c net.Conn) error { _, err := c.Read(make([]byte, 10)); return err }, net.ErrClosed},
		{"read after the peer closed", func(_, peer net.Conn) { peer.Close() },
			func(c net.Conn) error { _, err := c.Read(make([]byte, 10)); return err }, io.EOF},
		{"read after the peer reset", func(_, peer net.Conn) {
			peer.(*net.TCPConn).SetLinger(0)
			peer.Close()
		}, func(c net.Conn) error { _, err := c.Read(make([]byte, 10)); return err }, syscall.ECONNRESET},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs [2]error
			for i, plain := range []bool{true, false} {
				c, peer := pair(t, plain)
				tt.setup(c, peer)
				time.Sleep(20 * time.Millisecond) // the peer's close or reset arrives
				errs[i] = tt.op(c)
			}
			want, got := errs[0], errs[1]
			if !errors.Is(want, tt.is) {
				t.Fatalf("package net's connection: %v, want %v", want, tt.is)
			}
			if !errors.Is(got, tt.is) {
				t.Errorf("wrapped: %v, want %v", got, tt.is)
			}
			var ne net.Error
			if errors.As(want, &ne) != errors.As(got, &ne) || errors.As(got, &ne) && ne.Timeout() != errors.Is(want, os.ErrDeadlineExceeded) {
				t.Errorf("wrapped: %#v is not the net.Error %#v is", got, want)
			}
			if sameShape(want.Error()) != sameShape(got.Error()) {
				t.Errorf("message %q, package net's %q", got, want)
			}
		})
	}
}

// sameShape is a connection error's message without its port numbers.
func sameShape(s string) string {
	b := []byte(s)
	out := b[:0]
	for i := 0; i < len(b); i++ {
		if b[i] == ':' && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
			out = append(out, ':', 'N')
			for i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
				i++
			}
			continue
		}
		out = append(out, b[i])
	}
	return string(out)
}

// TestClient: the client's requests go over wrapped connections, kept
// and reused.
func TestClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b) // echoes
	}))
	defer srv.Close()
	c := Client()
	var conns []net.Conn
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { conns = append(conns, info.Conn) }}
	for i := range 3 {
		body := strings.Repeat("hola ", 1000*i+1)
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "POST", srv.URL, strings.NewReader(body))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(got) != body {
			t.Fatalf("request %d: %d bytes back (%v), want %d", i, len(got), err, len(body))
		}
	}
	if len(conns) != 3 || conns[1] != conns[0] || conns[2] != conns[0] {
		t.Errorf("connections %v: want one, reused", conns)
	}
	if raw(conns[0]) != (runtime.GOOS == "linux") {
		t.Errorf("the client's connection is a %T on %s", conns[0], runtime.GOOS)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := DialContext(&net.Dialer{})(context.Background(), "tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dialling a closed port: %v", err)
	}
}

// BenchmarkReadWrite is a 350-byte message (a Twilio media message's
// size) written and read back through a loopback connection, wrapped or
// as package net makes it.
func BenchmarkReadWrite(b *testing.B) {
	for _, name := range []string{"net", "sockio"} {
		b.Run(name, func(b *testing.B) {
			c, peer := pair(b, name == "net")
			if name == "sockio" {
				peer = Wrap(peer)
			}
			msg, buf := make([]byte, 350), make([]byte, 2048)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(peer, buf[:len(msg)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestConcurrentWrites: writes from several goroutines at once each go
// whole, never interleaved, as with package net's connections, while a
// read waits on the same connection.
func TestConcurrentWrites(t *testing.T) {
	c, peer := pair(t)
	const writers, writes, size = 4, 200, 1000
	reading := make(chan error, 1)
	go func() { // a read waiting all along
		_, err := c.Read(make([]byte, 10))
		reading <- err
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			msg := bytes.Repeat([]byte{byte('a' + w)}, size)
			for range writes {
				if _, err := c.Write(msg); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	got := make([]byte, writers*writes*size)
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i := 0; i < len(got); i += size {
		if chunk := got[i : i+size]; !bytes.Equal(chunk, bytes.Repeat(chunk[:1], size)) {
			t.Fatalf("message %d interleaved with another", i/size)
		}
	}
	peer.Write([]byte("end"))
	if err := <-reading; err != nil {
		t.Errorf("the waiting read: %v", err)
	}
}
