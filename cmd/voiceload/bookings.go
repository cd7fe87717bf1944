package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/dialog/extract"
	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
)

// Under --chaos, serve runs an agent of voiceload's (chaosAgentYAML) that
// books through a real HTTP service, the fakes' booking API, so that lost
// fields and duplicate bookings show; and the fake text-to-speech speaks
// each of its questions in a tone of its own, so that a caller can tell
// which one the agent asked (after a hand-over: the pending one).

// chaosAgent is the name of the agent under --chaos.
const chaosAgent = "clinica-chaos"

// question is something the chaos agent says that a caller answers.
type question struct {
	name string  // the field it asks for, or greeting, confirm, done
	text string  // in the agent file; the fakes look for it in what they speak
	tone float64 // Hz
	line int     // the script's line that answers it; -1: none, the booking is done
}

// questions are the chaos agent's, in the order of the script. No text is
// part of another; the tones are 200 Hz apart, and from the fakes' usual
// 440 Hz.
var questions = []question{
	{"greeting", "¿En qué puedo ayudarte?", 600, 0},
	{"nombre", "¿Tu nombre completo?", 800, 1},
	{"email", "¿Tu correo electrónico?", 1000, 2},
	{"telefono", "¿Un número de contacto?", 1200, 3},
	{"fecha", "¿Qué día prefieres?", 1400, 4},
	{"hora", "¿A qué hora te viene bien?", 1600, 5},
	{"especialidad", "¿Qué especialidad necesitas?", 1800, 6},
	{"confirm", "¿Confirmas la cita?", 2000, 7},
	{"done", "Tu cita queda reservada", 2200, -1},
}

// chaosAgentYAML is configs/clinica.yaml's booking with short questions,
// booking through the fakes' API at %s (POST /bookings); each booking's
// body holds the fields and the caller's number, so that the bookings of
// calls are told apart.
const chaosAgentYAML = `name: clinica-chaos
language: es
timezone: Europe/Madrid
greeting: "Hola, Clínica Central. ¿En qué puedo ayudarte?"
maxAttempts: 3
fallbackMessage: "Lo siento, no pude completar tu solicitud. Inténtalo de nuevo en unos minutos."
services:
  - intent: schedule_appointment
    reference: "Agendar una nueva cita médica: el paciente elige especialidad, día y hora"
    examples:
      - "quiero agendar una cita"
      - "necesito una cita"
      - "quería sacar una cita"
    method: POST
    endpoint: %s/bookings
    headers:
      Content-Type: application/json
    timeout: "8s"
    requiredFields:
      - name: nombre
        type: string
        description: Nombre completo del paciente
        promptHint: "¿Tu nombre completo?"
      - name: email
        type: email
        description: Correo electrónico del paciente para confirmaciones
        promptHint: "¿Tu correo electrónico?"
      - name: telefono
        type: phone
        description: Número de teléfono o celular del paciente
        promptHint: "¿Un número de contacto?"
      - name: fecha
        type: date
        description: Fecha preferida para la cita médica
        promptHint: "¿Qué día prefieres?"
      - name: hora
        type: time
        description: Hora preferida para la cita, entre las 08:00 y las 19:00
        promptHint: "¿A qué hora te viene bien?"
      - name: especialidad
        type: string
        description: Especialidad médica requerida
        promptHint: "¿Qué especialidad necesitas?"
        enum: ["medicina general", "pediatría", "cardiología", "dermatología", "ginecología"]
    confirmation:
      required: true
      message: "Cita de {{especialidad}} el {{fecha|format('EEEE d')}} a las {{hora}}. ¿Confirmas la cita?"
    bodyTemplate:
      nombre: "{{nombre}}"
      email: "{{email}}"
      telefono: "{{telefono}}"
      fecha: "{{fecha|format('yyyy-MM-dd')}}"
      hora: "{{hora|format('HH:mm')}}"
      especialidad: "{{especialidad}}"
      llamada: "{{caller_number}}"
    responseMapping:
      cita_id: "$.id"
    responseMessage: "Tu cita queda reservada con el código {{cita_id}}."
`

// writeChaosAgent writes the chaos agent, booking at bookingsURL, into dir.
func writeChaosAgent(dir, bookingsURL string) (string, error) {
	path := filepath.Join(dir, chaosAgent+".yaml")
	return path, os.WriteFile(path, fmt.Appendf(nil, chaosAgentYAML, bookingsURL), 0o644)
}

// chaosTone is the tone the fakes speak text in: its question's, else
// the usual one.
func chaosTone(text string) float64 {
	for _, q := range questions {
		if strings.Contains(text, q.text) {
			return q.tone
		}
	}
	return openaitest.SpeechTone
}

// heardQuestion tells which question the agent's audio (8 kHz, played
// last at its end) asked, by the tone of its last voiced 200 ms; false
// when none stands out.
func heardQuestion(pcm []int16) (question, bool) {
	const window = twiliotest.Rate / 5
	end := len(pcm)
	for end > 0 && abs16(pcm[end-1]) < voicedRMS {
		end--
	}
	if end < window {
		return question{}, false
	}
	tail := pcm[end-window : end]
	best, share := question{}, 0.0
	for _, q := range questions {
		if s := twiliotest.Tone(tail, twiliotest.Rate, q.tone); s > share {
			best, share = q, s
		}
	}
	if share < .5 || twiliotest.Tone(tail, twiliotest.Rate, openaitest.SpeechTone) > share {
		return question{}, false
	}
	return best, true
}

func abs16(s int16) int { return int(math.Abs(float64(s))) }

// booking is a request the booking API got.
type booking struct {
	At   time.Time      `json:"at"`
	Key  string         `json:"idempotencyKey,omitempty"` // its Idempotency-Key header
	Body map[string]any `json:"body"`                     // nil when it was not a JSON object
	ID   string         `json:"id"`                       // the booking's id it was answered
}

// bookingAPI is the fakes' booking service: POST /bookings records the
// request and answers {"id", "status"} (the same id again for an
// Idempotency-Key it has seen, as an API that honours it would); GET
// /bookings returns every POST it got.
type bookingAPI struct {
	mu    sync.Mutex
	list  []booking
	byKey map[string]string
}

func newBookingAPI() *bookingAPI { return &bookingAPI{byKey: map[string]string{}} }

func (b *bookingAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/bookings" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.Method {
	case http.MethodGet:
		b.mu.Lock()
		defer b.mu.Unlock()
		json.NewEncoder(w).Encode(b.list)
	case http.MethodPost:
		raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			return
		}
		bk := booking{At: time.Now(), Key: r.Header.Get("Idempotency-Key")}
		if json.Unmarshal(raw, &bk.Body) != nil {
			bk.Body = nil
		}
		b.mu.Lock()
		bk.ID = b.byKey[bk.Key]
		if bk.ID == "" {
			bk.ID = fmt.Sprintf("B-%d", len(b.list)+1)
			if bk.Key != "" {
				b.byKey[bk.Key] = bk.ID
			}
		}
		b.list = append(b.list, bk)
		b.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"id": bk.ID, "status": "success"})
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// fetchBookings asks the booking API at base for every POST it got.
func fetchBookings(ctx context.Context, hc *http.Client, base string) ([]booking, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/bookings", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /bookings: %s", resp.Status)
	}
	var list []booking
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("GET /bookings: %w", err)
	}
	return list, nil
}

// bookedFields are the fields a booking's body must hold, in order.
var bookedFields = []string{"nombre", "email", "telefono", "fecha", "hora", "especialidad", "llamada"}

// expectedBooking is the body a caller's booking must have: what the
// script's lines say, as the agent's extractors read them (the date
// against now, in the agent's time zone), and the caller's number.
func expectedBooking(clips []clip, from string, now time.Time) map[string]string {
	text := func(i int) string { return clips[i].Text }
	loc, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		loc = time.UTC
	}
	email, _, _ := extract.Email(text(2), "es")
	phone, _, _ := extract.Digits(text(3), "es")
	date, _ := extract.FindDate(text(4), "es", now.In(loc))
	at, _ := extract.FindTime(text(5), "es", now.In(loc))
	return map[string]string{
		"nombre": text(1), "email": email, "telefono": phone, "fecha": date.String(), "hora": at.String(),
		"especialidad": text(6), "llamada": from,
	}
}

// lostFields are the fields of want that body misses or has otherwise.
func lostFields(body map[string]any, want map[string]string) []string {
	var lost []string
	for _, f := range bookedFields {
		if v, ok := body[f].(string); !ok || v != want[f] {
			lost = append(lost, f)
		}
	}
	return lost
}
