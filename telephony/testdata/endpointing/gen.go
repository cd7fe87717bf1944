//go:build ignore

// Gen regenerates the endpointing corpus of endpoint_corpus_test.go: answers
// a caller gives a booking or support agent, in Spanish and English, each
// said in pieces by espeak-ng with the caller's pauses between them, and
// corpus.json, which labels them.
//
// Run it from this directory (espeak-ng 1.51 and sox 14.4.2, Debian 12):
//
//	go run gen.go
//
// Each piece is synthesised alone, resampled to 8 kHz by sox without
// dither and trimmed of espeak's own leading and trailing silence. An
// utterance is 300 ms of silence, its pieces with their pauses (from the
// end of one piece's voice to the start of the next one's), and 300 ms of
// silence (the replay adds the rest of the trailing silence), all under
// white noise from a generator seeded by the utterance's position; 8 kHz
// mono 16-bit WAV. The same tools give the same files.
//
// The labels are measured on the audio written, not taken from the plan:
// a piece starts and ends at the middle of the first and the last 10 ms
// window (moved 1 ms at a time) whose level is labelMargin dB above the
// noise; the true end of the turn is the end of its last piece.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/telephony/audio"
)

const (
	rate        = 8000
	leadMS      = 300
	tailMS      = 300
	labelMargin = 10.0 // dB above the noise that counts as voice, for the labels
)

// utterance is one caller's answer as planned: its pieces and the pauses
// between them.
type utterance struct {
	id, lang, ask, category string
	texts                   []string
	pauses                  []int // ms after each piece but the last
}

// say plans an utterance from its pieces: texts, each but the last
// followed by its pause in ms.
func say(id, lang, ask, category string, parts ...any) utterance {
	u := utterance{id: id, lang: lang, ask: ask, category: category}
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			u.texts = append(u.texts, p)
		case int:
			u.pauses = append(u.pauses, p)
		}
	}
	return u
}

// The corpus, in the proportions of a booking call's turns: one opening
// request and perhaps a question, a name, a date and a time, a phone
// number, sometimes an email or a code, and several read-backs.
//
// Pauses: 300–1000 ms between the groups of a dictation (phone numbers,
// emails, codes); 600–1000 ms after a filler or a word that leads on
// ("eh", "para", "de", "about", "um"); 300–500 ms for a pause with nothing
// to show that more is coming ("María … López", "el quince … de marzo").
var corpus = []utterance{
	say("es-open-1", "es", "", "open", "quiero pedir una cita para el lunes"),
	say("es-open-2", "es", "", "open", "quiero", 450, "pedir una cita"),
	say("es-open-3", "es", "", "open", "hola, buenos días, llamaba para", 750, "cambiar la hora de mi cita"),
	say("es-open-4", "es", "", "open", "quería, eh", 900, "reservar una consulta con la dermatóloga"),
	say("es-question-1", "es", "", "question", "¿cuánto cuesta la consulta?"),
	say("es-question-2", "es", "", "question", "¿tienen aparcamiento", 400, "cerca de la clínica?"),
	say("es-name-1", "es", configs.TypeString, "name", "María", 500, "López"),
	say("es-name-2", "es", configs.TypeString, "name", "Juan Pérez García"),
	say("es-name-3", "es", configs.TypeString, "name", "me llamo, eh", 700, "Antonio Fernández"),
	say("es-name-4", "es", configs.TypeString, "name", "Lucía de", 650, "la Fuente"),
	say("es-date-1", "es", configs.TypeDate, "date", "el quince", 500, "de marzo"),
	say("es-date-2", "es", configs.TypeDate, "date", "el lunes"),
	say("es-date-3", "es", configs.TypeDate, "date", "mañana"),
	say("es-date-4", "es", configs.TypeDate, "date", "el veinte de", 600, "abril"),
	say("es-date-5", "es", configs.TypeDate, "date", "el próximo martes"),
	say("es-time-1", "es", configs.TypeTime, "time", "a las diez"),
	say("es-time-2", "es", configs.TypeTime, "time", "a las cinco", 400, "de la tarde"),
	say("es-time-3", "es", configs.TypeTime, "time", "a las diez y media"),
	say("es-datetime-1", "es", configs.TypeDateTime, "datetime", "el jueves", 450, "a las nueve y media"),
	say("es-phone-1", "es", configs.TypePhone, "phone", "seis uno dos", 600, "tres cuatro cinco", 800, "seis siete ocho"),
	say("es-phone-2", "es", configs.TypePhone, "phone", "seiscientos doce", 500, "treinta y cuatro", 700, "cincuenta y seis", 400, "setenta y ocho"),
	say("es-phone-3", "es", configs.TypePhone, "phone", "nueve uno", 350, "cuatro cinco seis", 1000, "siete ocho", 500, "nueve cero"),
	say("es-email-1", "es", configs.TypeEmail, "email", "maria punto lopez", 700, "arroba gmail", 500, "punto com"),
	say("es-email-2", "es", configs.TypeEmail, "email", "juan guion bajo perez", 900, "arroba hotmail", 400, "punto es"),
	say("es-code-1", "es", dialog.AnswerCode, "code", "a, be", 600, "siete, dos", 800, "nueve, uno"),
	say("es-number-1", "es", configs.TypeInteger, "number", "somos cuatro"),
	say("es-confirm-1", "es", dialog.AnswerConfirm, "confirm", "sí"),
	say("es-confirm-2", "es", dialog.AnswerConfirm, "confirm", "sí, correcto"),
	say("es-confirm-3", "es", dialog.AnswerConfirm, "confirm", "no"),
	say("es-confirm-4", "es", dialog.AnswerConfirm, "confirm", "sí, perfecto, gracias"),
	say("es-confirm-5", "es", dialog.AnswerConfirm, "confirm", "no", 450, "el apellido está mal"),
	say("es-confirm-6", "es", dialog.AnswerConfirm, "confirm", "vale"),

	say("en-open-1", "en", "", "open", "I'd like to book an appointment for Monday"),
	say("en-open-2", "en", "", "open", "I want", 450, "to reschedule my appointment"),
	say("en-open-3", "en", "", "open", "hi, I'm calling about", 750, "my appointment next week"),
	say("en-open-4", "en", "", "open", "um", 900, "I need to cancel an appointment"),
	say("en-question-1", "en", "", "question", "how much is a consultation?"),
	say("en-question-2", "en", "", "question", "do you open", 300, "on Saturdays?"),
	say("en-name-1", "en", configs.TypeString, "name", "John", 500, "Smith"),
	say("en-name-2", "en", configs.TypeString, "name", "Sarah Johnson"),
	say("en-name-3", "en", configs.TypeString, "name", "my name is, uh", 700, "Michael Brown"),
	say("en-name-4", "en", configs.TypeString, "name", "Robert", 400, "Miller"),
	say("en-date-1", "en", configs.TypeDate, "date", "the fifteenth", 500, "of March"),
	say("en-date-2", "en", configs.TypeDate, "date", "next Tuesday"),
	say("en-date-3", "en", configs.TypeDate, "date", "tomorrow"),
	say("en-date-4", "en", configs.TypeDate, "date", "March the", 600, "twentieth"),
	say("en-date-5", "en", configs.TypeDate, "date", "this Friday"),
	say("en-time-1", "en", configs.TypeTime, "time", "at ten"),
	say("en-time-2", "en", configs.TypeTime, "time", "at three", 400, "thirty"),
	say("en-time-3", "en", configs.TypeTime, "time", "at four in the afternoon"),
	say("en-datetime-1", "en", configs.TypeDateTime, "datetime", "next Tuesday", 450, "at ten"),
	say("en-phone-1", "en", configs.TypePhone, "phone", "six one seven", 600, "five five five", 800, "zero one two three"),
	say("en-phone-2", "en", configs.TypePhone, "phone", "two one two", 400, "five five five", 1000, "nine eight seven six"),
	say("en-phone-3", "en", configs.TypePhone, "phone", "four one five", 350, "five five five", 500, "one two", 700, "three four"),
	say("en-email-1", "en", configs.TypeEmail, "email", "john dot smith", 700, "at gmail", 500, "dot com"),
	say("en-email-2", "en", configs.TypeEmail, "email", "sarah underscore jones", 800, "at outlook dot com"),
	say("en-code-1", "en", dialog.AnswerCode, "code", "A, B", 600, "seven, two", 800, "nine, one"),
	say("en-number-1", "en", configs.TypeInteger, "number", "two people"),
	say("en-confirm-1", "en", dialog.AnswerConfirm, "confirm", "yes"),
	say("en-confirm-2", "en", dialog.AnswerConfirm, "confirm", "yes, that's correct"),
	say("en-confirm-3", "en", dialog.AnswerConfirm, "confirm", "no"),
	say("en-confirm-4", "en", dialog.AnswerConfirm, "confirm", "yeah, that's right"),
	say("en-confirm-5", "en", dialog.AnswerConfirm, "confirm", "correct"),
	say("en-confirm-6", "en", dialog.AnswerConfirm, "confirm", "nope"),
}

// Callers differ: each utterance takes the next voice, speed, level and
// line noise of these cycles.
var (
	voices = map[string][]string{"es": {"es", "es+f3", "es-419", "es-419+f2"}, "en": {"en-us", "en-us+f3", "en-gb", "en-us+m3"}}
	speeds = []int{165, 175, 150, 185}     // words per minute
	gains  = []float64{0, -3, -6}          // dB on espeak's level
	noises = []float64{-50, -55, -45, -50} // dBFS RMS of the line noise
)

// manifest is corpus.json.
type manifest struct {
	About      string   `json:"about"`
	Rate       int      `json:"rate"`
	LeadMS     int      `json:"leadMs"`
	TailMS     int      `json:"tailMs"`
	Utterances []record `json:"utterances"`
}

// record is one utterance in corpus.json.
type record struct {
	ID        string  `json:"id"`
	File      string  `json:"file"`
	Lang      string  `json:"lang"`
	Ask       string  `json:"ask"`
	Category  string  `json:"category"`
	Voice     string  `json:"voice"`
	NoiseDB   float64 `json:"noiseDb"`
	TrueEndMS int     `json:"trueEndMs"`
	Pieces    []piece `json:"pieces"`
}

// piece is a stretch of an utterance said without a pause.
type piece struct {
	Text    string `json:"text"`
	StartMS int    `json:"startMs"`
	EndMS   int    `json:"endMs"`
}

func main() {
	tmp, err := os.MkdirTemp("", "endpointing")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	m := manifest{
		About: "Answers to a booking agent said in pieces by espeak-ng 1.51 (sox 14.4.2), made by gen.go; " +
			"times in ms from the start of each file; trueEndMs is the end of the last piece's voice.",
		Rate: rate, LeadMS: leadMS, TailMS: tailMS,
	}
	for i, u := range corpus {
		r, err := generate(tmp, i, u)
		if err != nil {
			log.Fatalf("%s: %v", u.id, err)
		}
		m.Utterances = append(m.Utterances, r)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("corpus.json", append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}

// generate writes the i-th utterance's WAV file and returns its labels.
func generate(tmp string, i int, u utterance) (record, error) {
	voice := voices[u.lang][i%len(voices[u.lang])]
	speed, gain, noiseDB := speeds[i%len(speeds)], gains[i%len(gains)], noises[i%len(noises)]
	if len(u.pauses) != len(u.texts)-1 {
		return record{}, fmt.Errorf("%d pieces and %d pauses", len(u.texts), len(u.pauses))
	}
	var pieces []audio.PCM16
	for _, text := range u.texts {
		s, err := synthesise(tmp, voice, speed, text)
		if err != nil {
			return record{}, err
		}
		pieces = append(pieces, louder(s, gain))
	}
	at := place(pieces, u.pauses, noiseDB+labelMargin)
	last := len(pieces) - 1
	pcm := make(audio.PCM16, at[last]+len(pieces[last])+ms(tailMS))
	for k, p := range pieces {
		for j, v := range p {
			pcm[at[k]+j] += v
		}
	}
	pcm = addNoise(pcm, noiseDB, uint64(i))

	r := record{ID: u.id, File: u.id + ".wav", Lang: u.lang, Ask: u.ask, Category: u.category, Voice: voice, NoiseDB: noiseDB}
	for k, p := range pieces {
		start, end, ok := voiced(pcm, at[k], at[k]+len(p), noiseDB+labelMargin)
		if !ok {
			return record{}, fmt.Errorf("piece %q: no voice above the noise", u.texts[k])
		}
		r.Pieces = append(r.Pieces, piece{Text: u.texts[k], StartMS: start * 1000 / rate, EndMS: (end*1000 + rate - 1) / rate})
	}
	r.TrueEndMS = r.Pieces[last].EndMS
	var b bytes.Buffer
	if err := audio.WriteWAV(&b, pcm, rate); err != nil {
		return record{}, err
	}
	return r, os.WriteFile(r.File, b.Bytes(), 0o644)
}

// place returns where each piece starts, in samples: the first after
// leadMS, each next one so that the pause between the voice of the two
// (above threshold dBFS) is the one planned. The quiet ends of two pieces
// may overlap.
func place(pieces []audio.PCM16, pauses []int, threshold float64) []int {
	at := []int{ms(leadMS)}
	for k := 1; k < len(pieces); k++ {
		_, prevEnd, _ := voiced(pieces[k-1], 0, len(pieces[k-1]), threshold)
		start, _, _ := voiced(pieces[k], 0, len(pieces[k]), threshold)
		at = append(at, max(0, at[k-1]+prevEnd+ms(pauses[k-1])-start))
	}
	return at
}

// louder returns pcm with gain dB applied.
func louder(pcm audio.PCM16, gain float64) audio.PCM16 {
	scale := math.Pow(10, gain/20)
	out := make(audio.PCM16, len(pcm))
	for i, v := range pcm {
		out[i] = int16(math.Round(float64(v) * scale))
	}
	return out
}

// synthesise says text with espeak-ng and returns it at rate, trimmed of
// espeak's leading and trailing silence.
func synthesise(tmp, voice string, speed int, text string) (audio.PCM16, error) {
	raw, trimmed := filepath.Join(tmp, "raw.wav"), filepath.Join(tmp, "piece.wav")
	if out, err := exec.Command("espeak-ng", "-v", voice, "-s", fmt.Sprint(speed), "-w", raw, text).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("espeak-ng: %v: %s", err, out)
	}
	if out, err := exec.Command("sox", "-D", raw, "-r", fmt.Sprint(rate), "-b", "16", "-c", "1", trimmed,
		"silence", "1", "0.005", "0.1%", "reverse", "silence", "1", "0.005", "0.1%", "reverse").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sox: %v: %s", err, strings.TrimSpace(string(out)))
	}
	f, err := os.Open(trimmed)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pcm, r, err := audio.ReadWAV(f)
	if err == nil && r != rate {
		err = fmt.Errorf("sox gave %d Hz", r)
	}
	return pcm, err
}

// addNoise returns pcm with white noise of level dB (RMS, dBFS) added,
// from a generator seeded with seed, clipped to 16 bits.
func addNoise(pcm audio.PCM16, level float64, seed uint64) audio.PCM16 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sd := 32768 * math.Pow(10, level/20)
	out := make(audio.PCM16, len(pcm))
	for i, v := range pcm {
		out[i] = int16(max(-32768, min(32767, math.Round(float64(v)+rng.NormFloat64()*sd))))
	}
	return out
}

// voiced finds the voice in pcm[from:to]: from the middle of the first to
// the middle of the last 10 ms window whose level is at least threshold
// dBFS.
func voiced(pcm audio.PCM16, from, to int, threshold float64) (start, end int, ok bool) {
	const window, hop = rate / 100, rate / 1000
	start, end = -1, -1
	for s := max(0, from-window); s+window <= min(len(pcm), to+window); s += hop {
		if audio.LevelDB(pcm[s:s+window]) < threshold {
			continue
		}
		if start < 0 {
			start = s + window/2
		}
		end = s + window/2
	}
	return start, end, start >= 0
}

func ms(n int) int { return n * rate / 1000 }
