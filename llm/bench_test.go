package llm

import (
	"context"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/internal/openaitest"
)

// BenchmarkUnderstandLoopback is one understood turn against a fake model
// on loopback that answers at once, streamed in 5-byte chunks: what the
// client side adds to the model's own time (request, tools, SSE parsing,
// reading), fake server included.
func BenchmarkUnderstandLoopback(b *testing.B) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{ToolCalls: []openaitest.ToolCall{
		{ID: "1", Name: "schedule_appointment", Arguments: `{"nombre": "Juan Pérez", "fecha": "2024-01-12", "especialidad": "cardiología"}`}}}))
	defer srv.Close()
	m, err := New(Config{Provider: "openai", BaseURL: srv.URL, Budget: 5 * time.Second}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	q := query("quiero una cita de cardiología para el viernes, soy Juan Pérez", dialog.State{Phase: dialog.PhaseListening})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Understand(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrompt is building the functions and the system prompt of a
// turn for the clinic agent.
func BenchmarkPrompt(b *testing.B) {
	q := query("el viernes", dialog.State{Phase: dialog.PhaseCollecting, Intent: "schedule_appointment", Asking: "fecha",
		Slots: map[string]string{"nombre": "Juan Pérez"}, LastPrompt: "¿Qué día te gustaría venir?"})
	b.ReportAllocs()
	for b.Loop() {
		systemPrompt(q, buildTools(q))
	}
}
