package espeak

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain doubles as a fake espeak-ng, for the behaviours the real one
// cannot be made to show (odd splits, failures, other formats): when
// ESPEAK_FAKE names a mode, the test binary run with espeak-ng's
// arguments plays that part instead of running tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("ESPEAK_FAKE"); mode != "" {
		fakeEspeak(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeSample is the i-th sample the fake writes.
func fakeSample(i int) int16 { return int16(i*37 - 5000) }

// wavHeader is a header as espeak-ng writes it to a pipe, with the
// streaming placeholder for the sizes unless size is given.
func wavHeader(rate int, size uint32) []byte {
	le := binary.LittleEndian
	b := []byte("RIFF")
	b = le.AppendUint32(b, size+36)
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(2*rate))
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 16)
	b = append(b, "data"...)
	return le.AppendUint32(b, size)
}

func samples(from, to int) []byte {
	var b []byte
	for i := from; i < to; i++ {
		b = binary.LittleEndian.AppendUint16(b, uint16(fakeSample(i)))
	}
	return b
}

func fakeEspeak(mode string) {
	out := os.Stdout
	text, _ := io.ReadAll(os.Stdin)
	if path := os.Getenv("ESPEAK_FAKE_OUT"); path != "" {
		os.WriteFile(path, []byte(strings.Join(os.Args[1:], "\x00")+"\n"+string(text)), 0o600)
	}
	const placeholder = 0x7ffff000
	switch mode {
	case "odd": // 1000 samples in pieces of odd sizes
		out.Write(wavHeader(SampleRate, placeholder))
		data := samples(0, 1000)
		sizes := []int{1, 3, 2, 5, 7, 333, 1}
		for i := 0; len(data) > 0; i++ {
			n := min(sizes[i%len(sizes)], len(data))
			out.Write(data[:n])
			data = data[n:]
			time.Sleep(100 * time.Microsecond)
		}
	case "gate": // 480 samples, then the rest once the gate file exists
		out.Write(wavHeader(SampleRate, placeholder))
		out.Write(samples(0, 480))
		for {
			if _, err := os.Stat(os.Getenv("ESPEAK_FAKE_GATE")); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		out.Write(samples(480, 960))
	case "hang": // 100 samples, then nothing for an hour
		out.Write(wavHeader(SampleRate, placeholder))
		out.Write(samples(0, 100))
		time.Sleep(time.Hour)
	case "fail":
		fmt.Fprintln(os.Stderr, "Error: boom")
		os.Exit(3)
	case "fail late": // some audio, then a failure
		out.Write(wavHeader(SampleRate, placeholder))
		out.Write(samples(0, 100))
		fmt.Fprintln(os.Stderr, "Error: out of memory")
		os.Exit(1)
	case "16k":
		out.Write(wavHeader(16000, placeholder))
		out.Write(samples(0, 16000))
	case "garbage":
		out.Write([]byte("hello, this is not a WAV file at all"))
	case "sized": // a data chunk of 100 samples, then a trailing chunk
		out.Write(wavHeader(SampleRate, 200))
		out.Write(samples(0, 100))
		out.Write([]byte("LIST\x04\x00\x00\x00abcd"))
	}
}
