package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// WAV format codes.
const (
	wavPCM        = 1
	wavAlaw       = 6
	wavUlaw       = 7
	wavExtensible = 0xFFFE
)

// wavBlock is how much ReadWAV reads at a time, so that what it allocates
// follows the bytes actually present, not the sizes a header declares.
const wavBlock = 32 << 10

// ReadWAV reads a RIFF/WAVE stream of mono 16-bit PCM, mu-law or A-law
// (plain or WAVE_FORMAT_EXTENSIBLE) and returns its samples as PCM16 and
// its sample rate. It reads up to the end of the data chunk. Errors wrap
// ErrNotWAV for a stream that is not a well-formed WAV (including a data
// chunk shorter than its header says, which also wraps
// io.ErrUnexpectedEOF) and ErrWAVFormat for another encoding; an error of
// r other than io.EOF is returned as it is.
//
// Memory is bounded by the bytes read, whatever the header declares; a
// data size of 0xFFFFFFFF, as streaming writers leave it, means "to the
// end". A trailing odd byte of 16-bit data is ignored.
func ReadWAV(r io.Reader) (PCM16, int, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, wavErr(err, "short header")
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%w: no RIFF/WAVE header", ErrNotWAV)
	}
	var (
		format, bits int
		rate         int
		haveFmt      bool
	)
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, 0, wavErr(err, "no data chunk")
		}
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, fmt.Errorf("%w: fmt chunk of %d bytes", ErrNotWAV, size)
			}
			var b [40]byte
			n := min(size, int64(len(b)))
			if _, err := io.ReadFull(r, b[:n]); err != nil {
				return nil, 0, wavErr(err, "short fmt chunk")
			}
			if err := skip(r, size-n+size%2); err != nil {
				return nil, 0, err
			}
			format = int(binary.LittleEndian.Uint16(b[0:2]))
			channels := int(binary.LittleEndian.Uint16(b[2:4]))
			rate = int(binary.LittleEndian.Uint32(b[4:8]))
			bits = int(binary.LittleEndian.Uint16(b[14:16]))
			if format == wavExtensible && n >= 26 {
				format = int(binary.LittleEndian.Uint16(b[24:26])) // the subformat GUID's first field
			}
			okBits := (format == wavPCM && bits == 16) || ((format == wavUlaw || format == wavAlaw) && bits == 8)
			if channels != 1 || !okBits || rate <= 0 || rate > math.MaxInt32 {
				return nil, 0, fmt.Errorf("%w: format %d, %d channels, %d bits, %d Hz", ErrWAVFormat, format, channels, bits, rate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, fmt.Errorf("%w: data chunk before fmt chunk", ErrNotWAV)
			}
			pcm, err := readWAVData(r, size, format)
			if err != nil {
				return nil, 0, err
			}
			return pcm, rate, nil
		default:
			if err := skip(r, size+size%2); err != nil {
				return nil, 0, err
			}
		}
	}
}

// readWAVData reads size bytes of data (to the end of r when size is
// 0xFFFFFFFF) in blocks, decoding each.
func readWAVData(r io.Reader, size int64, format int) (PCM16, error) {
	toEOF := size == math.MaxUint32
	per := 1
	if format == wavPCM {
		per = 2
	}
	pcm := make(PCM16, 0, min(size/int64(per), wavBlock))
	var block [wavBlock]byte
	carry := 0 // 0 or 1 byte of a 16-bit sample left from the last block
	for size > 0 {
		want := min(size, int64(len(block)-carry))
		n, err := io.ReadFull(r, block[carry:int64(carry)+want])
		size -= int64(n)
		n += carry
		switch format {
		case wavPCM:
			pcm = DecodePCM16LE(pcm, block[:n])
			carry = n % 2
			if carry == 1 {
				block[0] = block[n-1]
			}
		case wavUlaw:
			pcm = DecodeUlaw(pcm, block[:n])
		case wavAlaw:
			pcm = DecodeAlaw(pcm, block[:n])
		}
		if err != nil {
			if !isEOF(err) {
				return nil, err
			}
			if toEOF {
				break
			}
			return nil, fmt.Errorf("%w: data chunk truncated: %w", ErrNotWAV, io.ErrUnexpectedEOF)
		}
	}
	return pcm, nil
}

// skip discards n bytes of r.
func skip(r io.Reader, n int64) error {
	if n == 0 {
		return nil
	}
	if _, err := io.CopyN(io.Discard, r, n); err != nil {
		return wavErr(err, "chunk truncated")
	}
	return nil
}

// wavErr reports the end of r as a malformed WAV, and passes on other
// errors of r.
func wavErr(err error, what string) error {
	if isEOF(err) {
		return fmt.Errorf("%w: %s", ErrNotWAV, what)
	}
	return err
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// WriteWAV writes pcm to w as a mono 16-bit PCM WAV file at rate Hz: for
// recordings and test fixtures that ReadWAV reads back. The error wraps
// ErrSampleRate for a rate that is not positive, or w's error.
func WriteWAV(w io.Writer, pcm PCM16, rate int) error {
	if rate <= 0 || rate > math.MaxInt32/2 {
		return fmt.Errorf("%w: WAV at %d Hz", ErrSampleRate, rate)
	}
	data := 2 * len(pcm)
	if data > math.MaxUint32-36 {
		return fmt.Errorf("audio: %d samples are too many for a WAV file", len(pcm))
	}
	b := make([]byte, 0, 44+data)
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+data))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, wavPCM)
	b = binary.LittleEndian.AppendUint16(b, 1) // channels
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(2*rate)) // bytes per second
	b = binary.LittleEndian.AppendUint16(b, 2)              // bytes per frame
	b = binary.LittleEndian.AppendUint16(b, 16)             // bits per sample
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(data))
	b = EncodePCM16LE(b, pcm)
	_, err := w.Write(b)
	return err
}
