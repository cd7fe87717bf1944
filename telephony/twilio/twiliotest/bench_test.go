//go:build unix

package twiliotest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// BenchmarkClients runs 100 calls for 2 s and reports the process's CPU
// time per second of call ("cpu-ms/call-s"; 1000 means one core per call)
// with the fake server's share included: "quiet" has the server read and
// drop every message, "echo" has it send every frame back, so playback,
// marks of nothing and the reader run all the time, as while the agent
// speaks. Run with -benchtime=1x.
func BenchmarkClients(b *testing.B) {
	for _, echo := range []bool{false, true} {
		name := "quiet"
		if echo {
			name = "echo"
		}
		b.Run(name, func(b *testing.B) {
			const calls, d = 100, 2 * time.Second
			srv := leanServer(b, echo)
			var cpu time.Duration
			for range b.N {
				cs := make([]*Client, calls)
				for i := range cs {
					c, err := Dial(context.Background(), srv, Config{KeepPlayed: -1, MaxEntries: -1})
					if err != nil {
						b.Fatal(err)
					}
					cs[i] = c
				}
				before := cpuTime()
				time.Sleep(d)
				cpu += cpuTime() - before
				for _, c := range cs {
					if st := c.Stats(); st.Pacer.Resyncs > 0 {
						b.Logf("a call fell behind: %+v", st.Pacer)
					}
					c.Close()
				}
			}
			perCallSecond := float64(cpu) / float64(b.N) / calls / d.Seconds()
			b.ReportMetric(perCallSecond/float64(time.Millisecond), "cpu-ms/call-s")
			b.ReportMetric(float64(time.Second)/perCallSecond, "calls/core")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// leanServer is a websocket server that reads everything cheaply and, with
// echo, sends each media frame back; it returns the URL.
func leanServer(b *testing.B, echo bool) string {
	var up websocket.Upgrader
	var wg sync.WaitGroup
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		defer ws.Close()
		var sid string
		var buf, in, out []byte
		for {
			_, rd, err := ws.NextReader()
			if err != nil {
				return
			}
			if buf, err = readAll(buf[:0], rd); err != nil {
				return
			}
			if a, ok := twilio.ParseMedia(in[:0], buf); ok {
				in = a
				if echo {
					out = twilio.AppendMedia(out[:0], sid, a)
					ws.WriteMessage(websocket.TextMessage, out)
				}
			} else if ev, err := twilio.Parse(buf); err == nil && ev.Event == "start" {
				sid = ev.StreamSid
			}
		}
	}))
	b.Cleanup(func() { s.Close(); wg.Wait() })
	return "ws" + strings.TrimPrefix(s.URL, "http")
}
