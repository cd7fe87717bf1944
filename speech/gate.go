package speech

import "time"

// SilentPeak is the loudest sample taken for silence, -40 dBFS: a frame
// whose Peak reaches it is the caller's voice (or a noise as loud).
const SilentPeak = 328

// PreRoll is how much of the quiet before an utterance's first loud frame
// a Gate keeps and lets through with it: the soft start of its first
// word.
const PreRoll = 300 * time.Millisecond

// Peak is the largest magnitude among pcm's samples (0 for none).
func Peak(pcm []int16) int {
	m := 0
	for _, s := range pcm {
		m = max(m, abs(int(s)))
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Gate keeps the quiet around a caller's utterances from a recogniser,
// which then receives (and is paid for) their voice, not the agent's turns
// and the pauses between them. It starts closed: while closed it keeps
// only the latest PreRoll of the audio it is given, in a ring (the lead).
// The first frame whose Peak reaches SilentPeak opens it, and it stays
// open, letting every frame through, loud or quiet, until Reset closes it
// again (at the end of the utterance). It allocates only its ring, once.
// It is not safe for concurrent use.
type Gate struct {
	// Rate is the audio's sample rate in Hz: the lead holds PreRoll of it.
	// Set it before the first Pass.
	Rate int

	lead []int16 // the ring
	at   int     // the oldest sample of lead, once full
	open bool
}

// Pass takes the next frame and says whether it goes through. While the
// gate is closed, a frame below SilentPeak goes into the lead and pass is
// false. A frame that reaches SilentPeak opens the gate: pass is true and
// older then newer are the lead, the audio before the frame, oldest first
// (either may be empty), to be let through before it; they stay valid
// until Reset. Once the gate is open, pass is true and the lead empty.
func (g *Gate) Pass(pcm []int16) (older, newer []int16, pass bool) {
	if g.open {
		return nil, nil, true
	}
	if Peak(pcm) < SilentPeak {
		g.keep(pcm)
		return nil, nil, false
	}
	g.open = true
	older, newer = g.lead[g.at:], g.lead[:g.at]
	g.lead, g.at = g.lead[:0], 0
	return older, newer, true
}

// Open reports whether the gate is open: a frame reached SilentPeak since
// it last closed.
func (g *Gate) Open() bool { return g.open }

// Reset closes the gate and empties the lead: the next frames are quiet
// before another utterance.
func (g *Gate) Reset() {
	g.open = false
	g.lead, g.at = g.lead[:0], 0
}

// keep puts quiet pcm in the ring of the latest PreRoll of it.
func (g *Gate) keep(pcm []int16) {
	size := int(PreRoll.Seconds() * float64(g.Rate))
	if g.lead == nil {
		g.lead = make([]int16, 0, size)
	}
	if len(pcm) > size {
		pcm = pcm[len(pcm)-size:]
	}
	if n := min(len(pcm), size-len(g.lead)); n > 0 { // filling up
		g.lead = append(g.lead, pcm[:n]...)
		pcm = pcm[n:]
	}
	for len(pcm) > 0 { // full: overwrite the oldest, going round
		n := copy(g.lead[g.at:], pcm)
		pcm = pcm[n:]
		if g.at += n; g.at == size {
			g.at = 0
		}
	}
}
