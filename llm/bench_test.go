package llm

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

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

// BenchmarkPrompt is finding the functions (kept between turns) and
// building the system prompt of a turn for the clinic agent.
func BenchmarkPrompt(b *testing.B) {
	q := query("el viernes", dialog.State{Phase: dialog.PhaseCollecting, Intent: "schedule_appointment", Asking: "fecha",
		Slots: map[string]string{"nombre": "Juan Pérez"}, LastPrompt: "¿Qué día te gustaría venir?"})
	var boxes toolboxes
	b.ReportAllocs()
	for b.Loop() {
		systemPrompt(q, boxes.get(q))
	}
}

// BenchmarkRequest is encoding a turn's request for the clinic agent, its
// functions built once as they are kept between turns.
func BenchmarkRequest(b *testing.B) {
	q := query("el viernes", dialog.State{Phase: dialog.PhaseCollecting, Intent: "schedule_appointment", Asking: "fecha",
		Slots: map[string]string{"nombre": "Juan Pérez"}, LastPrompt: "¿Qué día te gustaría venir?"})
	tb := buildTools(q)
	b.ReportAllocs()
	for b.Loop() {
		req := openai.ChatCompletionRequest{Model: "m", Messages: messages(systemPrompt(q, tb), q.History, q.Text), Tools: tb.tools, ToolChoice: "auto"}
		if _, err := json.Marshal(req); err != nil {
			b.Fatal(err)
		}
	}
}
