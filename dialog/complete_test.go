package dialog

import (
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
)

func TestComplete(t *testing.T) {
	lima, err := time.LoadLocation("America/Lima")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ask, lang, text string
		want            bool
	}{
		// A read-back: a yes that only affirms, or a bare no.
		{AnswerConfirm, "es", "sí", true},
		{AnswerConfirm, "es", "sí, así está bien", true},
		{AnswerConfirm, "es", "no", true},
		{AnswerConfirm, "es", "no, gracias", true},
		{AnswerConfirm, "es", "sí, pero", false},
		{AnswerConfirm, "es", "no, la hora es a las", false},
		{AnswerConfirm, "es", "mmm", false},
		{AnswerConfirm, "en", "yes please", true},
		{AnswerConfirm, "en", "that's right", true},
		{AnswerConfirm, "en", "nope", true},
		{AnswerConfirm, "en", "yes but the email", false},
		{AnswerConfirm, "en", "maybe", false},
		{AnswerConfirm, "es", "sí, de", false}, // … de acuerdo: it leads on
		// Booleans.
		{configs.TypeBoolean, "es", "claro", true},
		{configs.TypeBoolean, "es", "no sé", false},
		{configs.TypeBoolean, "en", "yeah", true},
		{configs.TypeBoolean, "en", "well", false},
		// Dates: a day that resolves.
		{configs.TypeDate, "es", "el lunes", true},
		{configs.TypeDate, "es", "el 3 de marzo", true},
		{configs.TypeDate, "es", "mañana", true},
		{configs.TypeDate, "es", "el", false},
		{configs.TypeDate, "es", "el 30 de febrero", false},
		{configs.TypeDate, "en", "next Monday", true},
		{configs.TypeDate, "en", "January 15th", true},
		{configs.TypeDate, "en", "on the", false},
		// … but not a day of the month that a month may still follow.
		{configs.TypeDate, "es", "el quince", false},
		{configs.TypeDate, "es", "el quince de", false},
		{configs.TypeDate, "es", "el quince de marzo", true},
		{configs.TypeDate, "es", "el martes 16", false},
		{configs.TypeDate, "es", "el martes 16 de enero", true},
		{configs.TypeDate, "en", "the fifteenth", false},
		{configs.TypeDate, "en", "the fifteenth of March", true},
		{configs.TypeDate, "en", "March the", false},
		{configs.TypeDate, "en", "March the twentieth", true},
		// Times.
		{configs.TypeTime, "es", "a las tres de la tarde", true},
		{configs.TypeTime, "es", "diez y media", true},
		{configs.TypeTime, "es", "a las", false},
		{configs.TypeTime, "en", "3:30 pm", true},
		{configs.TypeTime, "en", "at", false},
		// … but not an hour said last, which minutes or a part of the day
		// may still follow.
		{configs.TypeTime, "es", "a las cinco", false},
		{configs.TypeTime, "es", "a las cinco de", false},
		{configs.TypeTime, "es", "a las diez y", false},
		{configs.TypeTime, "es", "a la una", false},
		{configs.TypeTime, "es", "a las diez en punto", true},
		{configs.TypeTime, "en", "at three", false},
		{configs.TypeTime, "en", "at three thirty", true},
		{configs.TypeTime, "en", "at 10", false},
		{configs.TypeTime, "en", "10:00", true},
		{configs.TypeTime, "en", "12:00", true},
		// Datetimes need both.
		{configs.TypeDateTime, "es", "el lunes a las 9 y media", true},
		{configs.TypeDateTime, "es", "el lunes a las 9", false},
		{configs.TypeDateTime, "es", "a las 9 el quince", false},
		{configs.TypeDateTime, "es", "a las 9 el lunes", true},
		{configs.TypeDateTime, "es", "el lunes", false},
		{configs.TypeDateTime, "en", "next Monday at 3 pm", true},
		{configs.TypeDateTime, "en", "at 3 pm", false},
		// Phones: every digit, 9 in Spanish, 10 in English.
		{configs.TypePhone, "es", "seis uno dos tres cuatro cinco seis siete ocho", true},
		{configs.TypePhone, "es", "987 654 321", true},
		{configs.TypePhone, "es", "nueve ocho siete, seis cinco cuatro, tres dos uno", true},
		{configs.TypePhone, "es", "seis uno dos", false},
		{configs.TypePhone, "es", "seis uno dos tres cuatro cinco seis", false},
		{configs.TypePhone, "en", "nine one seven, five five five, oh one two three", true},
		{configs.TypePhone, "en", "six one two three four five six seven eight", false},
		{configs.TypePhone, "en", "my number is", false},
		// Numbers.
		{configs.TypeNumber, "es", "mil doscientos cincuenta", true},
		{configs.TypeNumber, "es", "no sé", false},
		{configs.TypeInteger, "en", "twenty five", true},
		{configs.TypeInteger, "en", "2.5", false},
		{configs.TypeInteger, "en", "um", false},
		{configs.TypeInteger, "es", "treinta y", false},
		// Emails: an address whose domain cannot go on.
		{configs.TypeEmail, "es", "juan arroba gmail punto com", true},
		{configs.TypeEmail, "es", "juan guion bajo perez arroba hotmail punto es", true},
		{configs.TypeEmail, "es", "juan arroba empresa punto com punto mx", true},
		{configs.TypeEmail, "es", "juan arroba hotmail punto com", false}, // … punto ar
		{configs.TypeEmail, "es", "juan arroba gmail", false},
		{configs.TypeEmail, "es", "juan arroba gmail punto", false},
		{configs.TypeEmail, "en", "juan@gmail.com", true},
		{configs.TypeEmail, "en", "john dot smith at company dot com", true},
		{configs.TypeEmail, "en", "john at company dot co", false}, // … dot uk
		{configs.TypeEmail, "en", "john dot smith at", false},
		// Never complete: read out or free.
		{AnswerCode, "en", "A as in apple, one zero zero one", false},
		{configs.TypeString, "es", "Juan Pérez", false},
		{"enum", "es", "cardiología", false},
		// Nothing said.
		{configs.TypeDate, "es", "", false},
		{AnswerConfirm, "en", "  ", false},
	}
	now := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		if got := Complete(tt.ask, tt.lang, tt.text, now, lima); got != tt.want {
			t.Errorf("Complete(%q, %q, %q) = %v, want %v", tt.ask, tt.lang, tt.text, got, tt.want)
		}
	}
}

func TestLeadsOn(t *testing.T) {
	for _, tt := range []struct {
		lang, text string
		want       bool
	}{
		{"es", "quiero pedir una cita para", true},
		{"es", "el veinte de", true},
		{"es", "quería, eh", true},
		{"es", "Lucía de", true},
		{"es", "a las diez y", true},
		{"es", "quiero pedir una cita", false},
		{"es", "María", false},
		{"es", "¿por qué?", false},
		{"es", "para mí", false},
		{"es", "arroba hotmail punto es", false},
		{"en", "hi, I'm calling about", true},
		{"en", "my name is, uh", true},
		{"en", "um", true},
		{"en", "March the", true},
		{"en", "I want to", true},
		{"en", "hold on", false},
		{"en", "I'd like that", false},
		{"fr", "and", true}, // anything else reads as English
		{"es", "", false},
		{"en", " ¿? ", false},
	} {
		if got := LeadsOn(tt.lang, tt.text); got != tt.want {
			t.Errorf("LeadsOn(%q, %q) = %v, want %v", tt.lang, tt.text, got, tt.want)
		}
	}
}

func TestDictation(t *testing.T) {
	for ask, want := range map[string]bool{
		configs.TypePhone: true, configs.TypeEmail: true, AnswerCode: true,
		configs.TypeString: false, configs.TypeDate: false, configs.TypeNumber: false, AnswerConfirm: false,
	} {
		if got := Dictation(ask); got != want {
			t.Errorf("Dictation(%q) = %v, want %v", ask, got, want)
		}
	}
}

// TestAskType: Ask.Type is the effective type, or AnswerCode for a code.
func TestAskType(t *testing.T) {
	for _, tt := range []struct {
		file, said, want string
	}{
		{"helpdesk.yaml", "I want a refund", AnswerCode},                 // order_id, with a pattern
		{"helpdesk.yaml", "can you call me back", configs.TypeDateTime},  // when
		{"clinica.yaml", "quiero cancelar mi cita", AnswerCode},          // codigo
		{"clinica.yaml", "quiero reservar una cita", configs.TypeString}, // nombre
	} {
		c := engine(t, tt.file).NewCall("t", "")
		c.Step(Start{At: wednesday})
		var got []string
		for _, a := range c.Step(Utterance{At: wednesday, Text: tt.said}) {
			if ask, ok := a.(Ask); ok {
				got = append(got, ask.Type)
			}
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: %q asks types %v, want %s", tt.file, tt.said, got, tt.want)
		}
	}
}

// FuzzComplete: any words, any kind asked, never a panic; nothing blank is
// ever complete.
func FuzzComplete(f *testing.F) {
	for _, seed := range []struct{ ask, lang, text string }{
		{configs.TypePhone, "es", "seis uno dos tres cuatro cinco seis siete ocho"},
		{configs.TypeDateTime, "en", "next Monday at 3 pm"},
		{AnswerConfirm, "es", "sí, así está bien"},
		{configs.TypeDate, "es", "el 30 de febrero"},
		{configs.TypeNumber, "en", "forty-nine dollars and ninety-nine cents"},
		{"", "fr", "\x00\xff¿¡ {{x}}"},
	} {
		f.Add(seed.ask, seed.lang, seed.text)
	}
	kinds := append([]string{AnswerConfirm, AnswerCode}, configs.FieldTypes...)
	now := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ask, lang, text string) {
		for _, k := range append(kinds, ask) {
			if Complete(k, lang, text, now, time.UTC) && len(splitWords(text)) == 0 && !hasDigit(text) {
				t.Fatalf("Complete(%q, %q, %q) with nothing said", k, lang, text)
			}
		}
	})
}

func hasDigit(s string) bool {
	for _, r := range s {
		if r >= '0' && r <= '9' {
			return true
		}
	}
	return false
}
