package telephony

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/speech"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

// The recogniser the corpus replay stands in for; see modelRecogniser.
var (
	corpusInterimLag = flag.Duration("corpus.interim", 100*time.Millisecond,
		"endpointing corpus: how long after a piece of speech ends its words come as an interim transcript")
	corpusFinalLatency = flag.Duration("corpus.final", 100*time.Millisecond,
		"endpointing corpus: how long after a Flush its final transcript comes")
)

// The endpointing goals, with an agent's default voice settings.
const (
	goalMedianWait = 250 * time.Millisecond // median decision after the true end
	goalCutShare   = 0.02                   // turns decided over before the true end
)

const (
	corpusDir = "testdata/endpointing"
	// corpusTrail is the line noise the replay adds after each file, so
	// that even the longest pause and the finals fit.
	corpusTrail = 3 * time.Second
)

// corpusUtterance is one answer of testdata/endpointing/corpus.json (made
// by gen.go there), with its audio.
type corpusUtterance struct {
	ID        string
	File      string
	Lang      string
	Ask       string // the kind of answer asked, as Endpointer.Expect takes it
	Category  string
	NoiseDB   float64
	TrueEndMS int // the end of the last piece's voice, ms from the start of the file
	Pieces    []corpusPiece
	pcm       audio.PCM16 // as the runtime gets it: through μ-law, with corpusTrail added
}

// corpusPiece is a stretch of an utterance said without a pause, with
// where its voice starts and ends.
type corpusPiece struct {
	Text    string
	StartMS int
	EndMS   int
}

// corpusTurn is how the runtime's endpointing took one utterance.
type corpusTurn struct {
	u *corpusUtterance
	// decided: when the turn was decided over (Endpointer.EndedAt), from
	// the true end; negative when the caller was cut off.
	decided time.Duration
	// ended: when End came, the finals in, from the true end.
	ended time.Duration
	text  string
}

func (t corpusTurn) cut() bool { return t.decided < 0 }

func loadCorpus(tb testing.TB) []corpusUtterance {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "corpus.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var m struct {
		Rate       int
		Utterances []corpusUtterance
	}
	if err := json.Unmarshal(data, &m); err != nil {
		tb.Fatal(err)
	}
	if m.Rate != Rate || len(m.Utterances) == 0 {
		tb.Fatalf("corpus.json: %d utterances at %d Hz", len(m.Utterances), m.Rate)
	}
	for i := range m.Utterances {
		u := &m.Utterances[i]
		u.pcm = readCorpusAudio(tb, u, uint64(i))
	}
	return m.Utterances
}

// readCorpusAudio reads an utterance's file, adds corpusTrail of noise at
// its level and sends it through μ-law, as a phone line does.
func readCorpusAudio(tb testing.TB, u *corpusUtterance, seed uint64) audio.PCM16 {
	tb.Helper()
	f, err := os.Open(filepath.Join(corpusDir, u.File))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	pcm, rate, err := audio.ReadWAV(f)
	if err != nil || rate != Rate {
		tb.Fatalf("%s: %d Hz, %v", u.File, rate, err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	sd := 32768 * math.Pow(10, u.NoiseDB/20)
	for range int(corpusTrail / time.Second * Rate) {
		pcm = append(pcm, int16(math.Round(rng.NormFloat64()*sd)))
	}
	return audio.DecodeUlaw(nil, audio.EncodeUlaw(nil, pcm))
}

// corpusVoice is the voice settings of an agent file that sets none: the
// defaults, as the runtime gets them.
func corpusVoice(tb testing.TB) configs.Voice {
	tb.Helper()
	a, err := configs.Parse("corpus.yaml", []byte("name: corpus\n"))
	if err != nil {
		tb.Fatal(err)
	}
	return a.Voice
}

// corpusZones are the callers' time zones, by language.
func corpusZones(tb testing.TB) map[string]*time.Location {
	tb.Helper()
	zones := map[string]*time.Location{}
	for lang, name := range map[string]string{"es": "Europe/Madrid", "en": "America/New_York"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			tb.Fatal(err)
		}
		zones[lang] = loc
	}
	return zones
}

// modelRecogniser stands for a streaming recogniser, on the audio clock:
// the words of each piece of speech come as an interim transcript lag
// after the piece ends, with the pieces before it that no final has held
// yet; each Flush brings one final, latency later, with the words of the
// pieces ended by the Flush that no earlier Flush took.
type modelRecogniser struct {
	start        time.Time // of the audio
	pieces       []corpusPiece
	lag, latency time.Duration
	heard        int // pieces whose interim has come or been passed over
	taken        int // pieces a Flush has taken
	held         int // pieces the finals that came have held
	finals       []modelFinal
}

// modelFinal is a final on its way.
type modelFinal struct {
	due     time.Time
	text    string
	through int // the pieces held once it has come
}

func (r *modelRecogniser) end(k int) time.Time {
	return r.start.Add(time.Duration(r.pieces[k].EndMS) * time.Millisecond)
}

func (r *modelRecogniser) words(from, to int) string {
	var texts []string
	for _, p := range r.pieces[from:to] {
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, " ")
}

// Flush asks for the final of the audio up to at.
func (r *modelRecogniser) Flush(at time.Time) {
	k := r.taken
	for k < len(r.pieces) && !r.end(k).After(at) {
		k++
	}
	r.finals = append(r.finals, modelFinal{due: at.Add(r.latency), text: r.words(r.taken, k), through: k})
	r.taken = k
}

// Next returns the next transcript due before limit, in the order they
// fall due (a final before an interim due at the same time).
func (r *modelRecogniser) Next(limit time.Time) (speech.Transcript, bool) {
	for {
		interim := r.heard < len(r.pieces) && r.end(r.heard).Add(r.lag).Before(limit)
		if len(r.finals) > 0 && r.finals[0].due.Before(limit) &&
			(!interim || !r.finals[0].due.After(r.end(r.heard).Add(r.lag))) {
			f := r.finals[0]
			r.finals, r.held = r.finals[1:], f.through
			return speech.Transcript{Text: f.text, Final: true}, true
		}
		if !interim {
			return speech.Transcript{}, false
		}
		r.heard++
		if r.heard > r.held { // else a final came with the piece before its interim
			return speech.Transcript{Text: r.words(r.held, r.heard)}, true
		}
	}
}

// replayTurn feeds an utterance, frame by frame on its own clock, through
// the runtime's VAD and an Endpointer expecting the answer asked, with the
// modelled recogniser's transcripts in between, as Call.onFrame and
// Call.onTranscript do: a transcript that comes between two frames is
// taken at the time of the first. ok is false if the turn never ended.
func replayTurn(u *corpusUtterance, voice configs.Voice, loc *time.Location, lag, latency time.Duration) (corpusTurn, bool) {
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, loc) // a Monday morning
	trueEnd := start.Add(time.Duration(u.TrueEndMS) * time.Millisecond)
	vad, _ := audio.NewVAD(Rate, audio.VADConfig{})
	ep := NewEndpointer(voice, u.Lang, loc)
	ep.Expect(u.Ask)
	rec := &modelRecogniser{start: start, pieces: u.Pieces, lag: lag, latency: latency}
	ended := func(at time.Time, d Decision) bool {
		if d.Flush {
			rec.Flush(at)
		}
		return d.End
	}
	for i := 0; (i+1)*frameLen <= len(u.pcm); i++ {
		at := start.Add(time.Duration(i+1) * audio.FrameDuration)
		done := ended(at, ep.Frame(at, vad.Process(u.pcm[i*frameLen:(i+1)*frameLen])))
		for !done {
			t, ok := rec.Next(at.Add(audio.FrameDuration))
			if !ok {
				break
			}
			done = ended(at, ep.Transcript(at, t))
		}
		if done {
			return corpusTurn{u: u, decided: ep.EndedAt().Sub(trueEnd), ended: at.Sub(trueEnd), text: ep.Text()}, true
		}
	}
	return corpusTurn{u: u}, false
}

// replayCorpus replays every utterance; it fails tb for a turn that never
// ends.
func replayCorpus(tb testing.TB, corpus []corpusUtterance, voice configs.Voice, zones map[string]*time.Location) []corpusTurn {
	turns := make([]corpusTurn, 0, len(corpus))
	for i := range corpus {
		u := &corpus[i]
		t, ok := replayTurn(u, voice, zones[u.Lang], *corpusInterimLag, *corpusFinalLatency)
		if !ok {
			tb.Fatalf("%s: the turn never ended", u.ID)
		}
		turns = append(turns, t)
	}
	return turns
}

// corpusStats sums up turns: nearest-rank percentiles of the waits.
type corpusStats struct {
	n, cuts                               int
	medianDecided, p90Decided, maxDecided time.Duration
	medianEnded                           time.Duration
	cutShare                              float64
}

func statsOf(turns []corpusTurn) corpusStats {
	s := corpusStats{n: len(turns)}
	var decided, ended []time.Duration
	for _, t := range turns {
		decided, ended = append(decided, t.decided), append(ended, t.ended)
		if t.cut() {
			s.cuts++
		}
	}
	slices.Sort(decided)
	slices.Sort(ended)
	s.medianDecided, s.p90Decided, s.maxDecided = percentile(decided, 0.5), percentile(decided, 0.9), percentile(decided, 1)
	s.medianEnded = percentile(ended, 0.5)
	s.cutShare = float64(s.cuts) / float64(s.n)
	return s
}

// percentile is the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, k)]
}

func (s corpusStats) String() string {
	return fmt.Sprintf("n=%-3d decided median %+5dms p90 %+5dms max %+5dms | end median %+5dms | cut off %d (%.1f%%)",
		s.n, s.medianDecided.Milliseconds(), s.p90Decided.Milliseconds(), s.maxDecided.Milliseconds(),
		s.medianEnded.Milliseconds(), s.cuts, 100*s.cutShare)
}

// TestEndpointingCorpus replays testdata/endpointing through the runtime's
// endpointing with an agent's default voice settings and a modelled
// recogniser, and holds it to the goals: a median decision at most
// goalMedianWait after the true end of the turn, and at most goalCutShare
// of the turns cut off. Everything runs on the audio's clock, so the
// figures are the same on any machine; -v prints them per utterance.
func TestEndpointingCorpus(t *testing.T) {
	voice := corpusVoice(t)
	turns := replayCorpus(t, loadCorpus(t), voice, corpusZones(t))
	t.Logf("recogniser: interim %v after each piece, final %v after each flush (-corpus.interim, -corpus.final); "+
		"voice: silence %v, dictationSilence %v, earlySilence %v; times from the true end of the turn",
		*corpusInterimLag, *corpusFinalLatency, voice.Silence.Std(), voice.DictationSilence.Std(), voice.EarlySilence.Std())
	t.Logf("%-14s %-8s %-9s %8s %8s  %s", "utterance", "category", "ask", "decided", "end", "text")
	for _, r := range turns {
		mark := ""
		if r.cut() {
			mark = "  CUT OFF"
		}
		t.Logf("%-14s %-8s %-9s %+6dms %+6dms  %q%s", r.u.ID, r.u.Category, r.u.Ask,
			r.decided.Milliseconds(), r.ended.Milliseconds(), r.text, mark)
	}
	all := statsOf(turns)
	for _, group := range corpusGroups(turns) {
		t.Logf("%-9s %v", group.name, statsOf(group.turns))
	}
	t.Logf("%-9s %v", "all", all)
	if all.cutShare > goalCutShare {
		t.Errorf("%d of %d turns cut off (%.1f%%); the goal is at most %.0f%%", all.cuts, all.n, 100*all.cutShare, 100*goalCutShare)
	}
	if all.medianDecided > goalMedianWait {
		t.Errorf("median decision %v after the true end; the goal is at most %v", all.medianDecided, goalMedianWait)
	}
}

type corpusGroup struct {
	name  string
	turns []corpusTurn
}

// corpusGroups splits turns by category, then by language, in order of
// first appearance.
func corpusGroups(turns []corpusTurn) []corpusGroup {
	var groups []corpusGroup
	add := func(name string, t corpusTurn) {
		for i := range groups {
			if groups[i].name == name {
				groups[i].turns = append(groups[i].turns, t)
				return
			}
		}
		groups = append(groups, corpusGroup{name, []corpusTurn{t}})
	}
	for _, t := range turns {
		add(t.u.Category, t)
	}
	for _, t := range turns {
		add("lang "+t.u.Lang, t)
	}
	return groups
}

// BenchmarkEndpointingCorpus replays the corpus (see
// TestEndpointingCorpus) and reports its figures as metrics:
// median-wait-ms and p90-wait-ms (the decision after the true end),
// median-end-ms (finals in) and cutoff-%.
func BenchmarkEndpointingCorpus(b *testing.B) {
	voice, corpus, zones := corpusVoice(b), loadCorpus(b), corpusZones(b)
	var turns []corpusTurn
	for b.Loop() {
		turns = replayCorpus(b, corpus, voice, zones)
	}
	s := statsOf(turns)
	b.ReportMetric(float64(s.medianDecided.Milliseconds()), "median-wait-ms")
	b.ReportMetric(float64(s.p90Decided.Milliseconds()), "p90-wait-ms")
	b.ReportMetric(float64(s.medianEnded.Milliseconds()), "median-end-ms")
	b.ReportMetric(100*s.cutShare, "cutoff-%")
}
