package session

import (
	"context"
	"strings"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/transcript"
)

// Understander reads what a caller said with a language model. It keeps
// to its own time budget and honours ctx; an error means the turn is
// understood by the rules alone. It must be safe for concurrent use.
type Understander interface {
	Understand(ctx context.Context, q *dialog.Query) (*dialog.Reading, error)
}

// Phraser rephrases what the agent says, passing each sentence to say as
// soon as it is complete. An error before the first sentence means the
// text must be said as written; after one, that the rest is lost. It must
// be safe for concurrent use.
type Phraser interface {
	Rephrase(ctx context.Context, a *configs.Agent, history []dialog.Exchange, text string, say func(sentence string)) error
}

// Model is the language model a session uses; either part may be nil.
type Model struct {
	Understander Understander
	Phraser      Phraser
	// Memory is how many past exchanges are kept for the model (default 6).
	Memory int
}

// UseModel makes the session understand the caller's words with m (and,
// for an agent with `phrasing: llm`, rephrase through Speak).
func (s *Session) UseModel(m Model) {
	if m.Memory <= 0 {
		m.Memory = 6
	}
	s.model = m
}

// understand asks the model what the caller meant, unless the utterance
// carries a reading already. Without a model, or when it fails, the
// utterance goes on as it is and the rules read it.
func (s *Session) understand(ctx context.Context, u dialog.Utterance) dialog.Utterance {
	if s.model.Understander == nil || u.Reading != nil || strings.TrimSpace(u.Text) == "" || !s.call.WantsReading(u.Text) {
		return u
	}
	q := &dialog.Query{Agent: s.agent.Catalog.Agent, State: s.call.State(), History: s.history, Text: u.Text, Now: u.At,
		Location: s.agent.Catalog.Location}
	if r, err := s.model.Understander.Understand(ctx, q); err == nil {
		u.Reading = r
	}
	return u
}

// remember keeps the last exchanges for the model.
func (s *Session) remember(ex dialog.Exchange) {
	if s.model.Understander == nil && s.model.Phraser == nil {
		return
	}
	s.history = append(s.history, ex)
	if over := len(s.history) - s.model.Memory; over > 0 {
		s.history = append(s.history[:0], s.history[over:]...)
	}
}

// Phrases reports whether Speak rephrases with a model.
func (s *Session) Phrases() bool {
	return s.model.Phraser != nil && s.agent.Catalog.Agent.Phrasing == configs.PhrasingLLM
}

// Speak says what a turn says, sentence by sentence: as configured, or,
// for an agent with `phrasing: llm` and a Phraser, in the model's words,
// streamed. Only the agent's own questions and remarks are reworded: the
// greeting, read-backs, services' answers, a model's own answers and any
// text carrying a value (a digit, an email) are said exactly as written,
// for they hold the facts the caller confirms or acts on. When the model
// fails before its first sentence the configured text is said.
func (s *Session) Speak(ctx context.Context, t *Turn, say func(sentence string)) {
	text := t.Said()
	if text == "" {
		return
	}
	var spoken []string
	if s.Phrases() && rephrasable(t, text) {
		_ = s.model.Phraser.Rephrase(ctx, s.agent.Catalog.Agent, s.history, text, func(x string) { // errors are logged by the Phraser
			spoken = append(spoken, x)
			say(x)
		})
	}
	if len(spoken) == 0 {
		for _, sentence := range sentences(t) {
			say(sentence)
			spoken = append(spoken, sentence)
		}
	}
	if n := len(s.history); n > 0 {
		s.history[n-1].Agent = strings.Join(spoken, " ") // what the caller heard
	}
}

// rephrasable: a turn of the agent's own questions and remarks, with no
// value in it (see Speak).
func rephrasable(t *Turn, text string) bool {
	for _, a := range t.Actions {
		switch a := a.(type) {
		case dialog.Confirm:
			return false
		case dialog.Say:
			if a.Kind == dialog.Greeting || a.Kind == dialog.Answer || a.Kind == dialog.Reply {
				return false
			}
		}
	}
	return !hasValues(text)
}

// sentences are a turn's texts as configured, one per action.
func sentences(t *Turn) []string {
	var out []string
	for _, a := range t.Actions {
		if x := dialog.Text(a); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// hasValues reports whether text carries data: a digit or an @.
func hasValues(text string) bool { return strings.ContainsAny(text, "0123456789@") }

// toTranscript is a reading as a transcript records it.
func toTranscript(r *dialog.Reading) *transcript.Reading {
	if r == nil {
		return nil
	}
	return &transcript.Reading{Intent: r.Intent, Values: r.Values, Cancel: r.Cancel, Repeat: r.Repeat, Answer: r.Answer,
		Acts: r.Acts, Empty: r.Empty}
}

// FromTranscript is a recorded reading as the dialog takes it.
func FromTranscript(r *transcript.Reading) *dialog.Reading {
	if r == nil {
		return nil
	}
	return &dialog.Reading{Intent: r.Intent, Values: r.Values, Cancel: r.Cancel, Repeat: r.Repeat, Answer: r.Answer,
		Acts: r.Acts, Empty: r.Empty}
}

// Heard records that the caller interrupted the agent's last words having
// heard only text of them: the model's history keeps what was heard. The
// transcript keeps what the agent meant to say, so that it replays.
func (s *Session) Heard(text string) {
	if n := len(s.history); n > 0 {
		s.history[n-1].Agent = text
	}
}
