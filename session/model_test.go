package session

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/internal/openaitest"
	"github.com/voiceagent/voiceagent/llm"
	"github.com/voiceagent/voiceagent/transcript"
)

func clinic(t *testing.T, phrasing string) *Agent {
	t.Helper()
	agents, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.Name == "clinica-central" {
			a.Phrasing = phrasing
			sa, err := NewAgent(a)
			if err != nil {
				t.Fatal(err)
			}
			return sa
		}
	}
	t.Fatal("no clinic example")
	return nil
}

func model(t *testing.T, srv *openaitest.Server, budget time.Duration) *llm.Model {
	t.Helper()
	m, err := llm.New(llm.Config{Provider: "openai", BaseURL: srv.URL, APIKey: "sk-x", Budget: budget}, llm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var monday = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

// TestModelNeverConfirms: a model that, turn after turn, calls the booking
// with every field, then the (nonexistent) confirm function and says it is
// done, while the caller never says yes: nothing executes. The caller's
// own yes then does.
func TestModelNeverConfirms(t *testing.T) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{
		Content: "¡Listo, tu cita está confirmada!",
		ToolCalls: []openaitest.ToolCall{
			{ID: "1", Name: "schedule_appointment", Arguments: `{"nombre": "Juan Pérez", "email": "juan@example.com", "telefono": "987654321",
				"fecha": "2024-01-19", "hora": "10:30", "especialidad": "cardiología", "confirmed": true}`},
			{ID: "2", Name: "confirm", Arguments: `{"intent": "schedule_appointment"}`},
			{ID: "3", Name: "answer_question", Arguments: `{"answer": "Confirmado."}`},
		}}))
	defer srv.Close()
	exec := &counting{}
	s := New(clinic(t, ""), exec, "gate", "")
	s.UseModel(Model{Understander: model(t, srv, 2*time.Second)})
	at := monday
	s.Start(context.Background(), at)
	// Nothing here is a yes in the caller's words (the rules take "ok",
	// "vale", "correcto", "confirmed", "proceed" and "confírmala ya" as one).
	callers := []string{"quiero una cita", "que la confirme la IA", "haz la reserva", "lo confirma el sistema", "mmm",
		"que la confirmes te digo", "no sé", "no estoy seguro", "¿cuánto cuesta?", "la IA ya lo dijo", "¿está confirmada?", "espera"}
	for i := range 60 {
		at = at.Add(3 * time.Second)
		turn := s.Handle(context.Background(), dialog.Utterance{At: at, Text: callers[i%len(callers)]})
		if len(turn.Results) > 0 || exec.n > 0 {
			t.Fatalf("turn %d (%q) executed %v", i, callers[i%len(callers)], turn.Results[0].Request)
		}
		if turn.State.Phase == dialog.PhaseEnded {
			t.Fatalf("turn %d: the call ended", i)
		}
	}
	if len(srv.Requests()) < 30 {
		t.Fatalf("the model was asked %d times in 60 turns", len(srv.Requests()))
	}
	// Get back to a read-back and say yes.
	at = at.Add(3 * time.Second)
	for turn := s.Handle(context.Background(), dialog.Utterance{At: at, Text: "quiero una cita"}); turn.State.Phase != dialog.PhaseConfirming; {
		t.Fatalf("no read-back: %s", turn.Said())
	}
	at = at.Add(3 * time.Second)
	turn := s.Handle(context.Background(), dialog.Utterance{At: at, Text: "sí, confirmo"})
	if exec.n != 1 || len(turn.Results) != 1 {
		t.Fatalf("the caller's yes executed %d requests", exec.n)
	}
	if rec := s.Transcript().Turns[0].Model; rec == nil || rec.Intent != "schedule_appointment" || rec.Values["hora"] != "10:30" {
		t.Errorf("the model's reading is not recorded: %+v", rec)
	}
}

// TestModelFallsBack: a model that fails or hangs leaves the rules to read
// the turn; the call goes on.
func TestModelFallsBack(t *testing.T) {
	for _, rep := range []openaitest.Reply{{Status: 500}, {Hang: true}, {Raw: "nonsense"}} {
		srv := openaitest.New(openaitest.Always(rep))
		s := New(clinic(t, ""), &counting{}, "fb", "")
		s.UseModel(Model{Understander: model(t, srv, 200*time.Millisecond)})
		s.Start(context.Background(), monday)
		turn := s.Handle(context.Background(), dialog.Utterance{At: monday.Add(time.Second), Text: "quiero agendar una cita de pediatría"})
		if turn.State.Intent != "schedule_appointment" || turn.State.Slots["especialidad"] != "pediatría" || turn.State.Asking != "nombre" {
			t.Errorf("%+v: state %+v", rep, turn.State)
		}
		if s.Transcript().Turns[0].Model != nil {
			t.Errorf("%+v: a reading recorded for a failed model", rep)
		}
		srv.Close()
	}
}

// TestModelHistory: the model sees the last exchanges, bounded.
func TestModelHistory(t *testing.T) {
	srv := openaitest.New(openaitest.Always(openaitest.Reply{}))
	defer srv.Close()
	s := New(clinic(t, ""), &counting{}, "h", "")
	s.UseModel(Model{Understander: model(t, srv, time.Second), Memory: 2})
	s.Start(context.Background(), monday)
	for i, text := range []string{"hola", "quiero una cita", "Juan Pérez", "juan@example.com"} {
		s.Handle(context.Background(), dialog.Utterance{At: monday.Add(time.Duration(i+1) * time.Second), Text: text})
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1].Messages
	var got []string
	for _, m := range last[1:] {
		got = append(got, m.Role+": "+m.Content)
	}
	want := []string{"user: quiero una cita", "assistant: ¿Podrías indicarme tu nombre completo, por favor?",
		"user: Juan Pérez", "assistant: ¿Cuál es tu correo electrónico? Ahí te enviaremos la confirmación.", "user: juan@example.com"}
	if !slices.Equal(got, want) {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSpeak: with `phrasing: llm` the model's sentences are said as they
// come; text with values is said in the model's words only when they keep
// every value; the greeting and failures are said as configured.
func TestSpeak(t *testing.T) {
	tests := []struct {
		name    string
		reply   openaitest.Reply
		turn    func(s *Session) Turn
		want    []string
		history string
	}{
		{"a question, streamed", openaitest.Reply{Content: "Perfecto. ¿Cómo te llamas?", Split: 3},
			func(s *Session) Turn {
				return s.Handle(context.Background(), dialog.Utterance{At: monday, Text: "quiero una cita de pediatría"})
			}, []string{"Perfecto.", "¿Cómo te llamas?"}, "Perfecto. ¿Cómo te llamas?"},
		{"a read-back is said as written", openaitest.Reply{Content: "Cita de dermatología el lunes 19 de febrero para Pedro Gómez. ¿Confirmas?"},
			readback, []string{"Te confirmo los datos: cita de cardiología el viernes 19 de enero a las 10:30, a nombre de Juan Pérez. ¿Confirmas la reserva?"}, ""},
		{"a question with a value in it is said as written", openaitest.Reply{Content: "¿Y a qué hora?"},
			func(s *Session) Turn {
				var turn Turn
				for i, text := range []string{"quiero una cita de pediatría", "Ana Ruiz", "ana@example.com", "987654321", "el viernes"} {
					turn = s.Handle(context.Background(), dialog.Utterance{At: monday.Add(time.Duration(i) * time.Second), Text: text})
				}
				return turn
			}, []string{"¿A qué hora te acomoda? Atendemos de 8 de la mañana a 7 de la noche."}, ""},
		{"a model over budget", openaitest.Reply{Delay: 2 * time.Second, Content: "Tarde."},
			func(s *Session) Turn {
				return s.Handle(context.Background(), dialog.Utterance{At: monday, Text: "quiero una cita de pediatría"})
			}, []string{"¿Podrías indicarme tu nombre completo, por favor?"}, ""},
		{"the greeting", openaitest.Reply{Content: "Buenas."},
			func(s *Session) Turn {
				s2 := New(s.agent, &counting{}, "g", "")
				s2.UseModel(s.model)
				return s2.Start(context.Background(), monday)
			}, []string{"Hola, gracias por llamar a Clínica Central. ¿En qué puedo ayudarte?"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.New(openaitest.Always(tt.reply))
			defer srv.Close()
			m := model(t, srv, 300*time.Millisecond)
			s := New(clinic(t, configs.PhrasingLLM), &counting{}, "speak", "")
			s.UseModel(Model{Phraser: m})
			s.Start(context.Background(), monday)
			turn := tt.turn(s)
			var got []string
			s.Speak(context.Background(), &turn, func(x string) { got = append(got, x) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("said %q\nwant %q", got, tt.want)
			}
			if tt.history != "" && s.history[len(s.history)-1].Agent != tt.history {
				t.Errorf("history holds %q, want what was said", s.history[len(s.history)-1].Agent)
			}
		})
	}
}

// readback fills a booking and returns the read-back turn.
func readback(s *Session) Turn {
	var turn Turn
	for i, text := range []string{"quiero una cita de cardiología", "Juan Pérez", "juan@example.com", "987654321", "el viernes", "a las 10:30"} {
		turn = s.Handle(context.Background(), dialog.Utterance{At: monday.Add(time.Duration(i) * time.Second), Text: text})
	}
	return turn
}

func TestRecordedReadingsReplay(t *testing.T) {
	r := &transcript.Reading{Intent: "schedule_appointment", Values: map[string]string{"nombre": "Ana"}}
	if got := toTranscript(FromTranscript(r)); got.Intent != r.Intent || got.Values["nombre"] != "Ana" {
		t.Errorf("round trip: %+v", got)
	}
	if FromTranscript(nil) != nil || toTranscript(nil) != nil {
		t.Error("nil readings")
	}
}
