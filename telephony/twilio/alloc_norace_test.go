//go:build !race

package twilio

import "testing"

// TestAllocsPerFrame pins the media fast paths at zero allocations.
func TestAllocsPerFrame(t *testing.T) {
	msg := mediaMsg(frame)
	in := make([]byte, 0, 256)
	out := make([]byte, 0, 512)
	for name, f := range map[string]func(){
		"ParseMedia":  func() { in, _ = ParseMedia(in[:0], msg) },
		"AppendMedia": func() { out = AppendMedia(out[:0], "MZ1", frame) },
		"AppendMark":  func() { out = AppendMark(out[:0], "MZ1", "utt-1") },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %.1f allocations per frame", name, n)
		}
	}
}
