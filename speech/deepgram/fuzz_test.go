package deepgram

import (
	"bytes"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/speech"
)

func finals(ts []speech.Transcript) int {
	n := 0
	for _, t := range ts {
		if t.Final {
			n++
		}
	}
	return n
}

// FuzzMessages feeds arbitrary server messages, one per line, to the
// decoder and the assembler, with a Flush before them and one halfway:
// nothing may panic, times are in range, and each Flush gets exactly one
// Final. The seed corpus is in testdata/fuzz/FuzzMessages.
func FuzzMessages(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var a assembler
		lines := bytes.Split(data, []byte("\n"))
		n := finals(a.flush(1, 1.0))
		a.sent(1, t0)
		for i, line := range lines {
			if i == len(lines)/2 {
				n += finals(a.flush(2, 2.0))
				a.sent(2, t0.Add(time.Second))
			}
			ev, err := decode(line)
			if err != nil {
				if ev != nil {
					t.Fatalf("decode gave %#v with %v", ev, err)
				}
				continue
			}
			if r, ok := ev.(results); ok {
				if r.Start < 0 || r.Duration < 0 || r.Start > maxSeconds || r.Duration > maxSeconds {
					t.Fatalf("times out of range: %+v", r)
				}
				for _, w := range r.Words {
					if w.Start < 0 || w.Start > maxSeconds || w.Text == "" {
						t.Fatalf("word out of range: %+v", w)
					}
				}
			}
			n += finals(a.handle(ev))
			if i == len(lines)/3 {
				n += finals(a.expire(t0)) // the first Finalize goes unanswered
			}
		}
		n += finals(a.expire(t0.Add(time.Hour)))
		if n != 2 {
			t.Fatalf("%d finals for 2 Flushes", n)
		}
		if len(a.flushes) != 0 {
			t.Fatalf("%d Flushes left", len(a.flushes))
		}
	})
}
