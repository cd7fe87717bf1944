package llm

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
)

// Rephrase has the model say text again in its own words, for an agent
// with `phrasing: llm`, and passes each sentence to say as soon as it is
// complete. The first sentence must come within the model's budget; an
// error before any sentence means the caller should hear text as written,
// and after one, that the rest is lost (the caller heard what was said).
func (m *Model) Rephrase(ctx context.Context, a *configs.Agent, history []dialog.Exchange, text string, say func(sentence string)) error {
	st := Stats{Kind: "phrase"}
	ok, trial := m.breaker.allow(time.Now())
	if !ok {
		m.finish(ctx, &st, false, ErrBreakerOpen)
		return ErrBreakerOpen
	}
	// The budget holds until the first sentence; the whole rewording gets
	// three budgets.
	ctx, cancel := context.WithTimeout(ctx, 3*m.cfg.Budget)
	defer cancel()
	var late atomic.Bool
	first := time.AfterFunc(m.cfg.Budget, func() { late.Store(true); cancel() })
	defer first.Stop()
	var pending strings.Builder
	said := 0
	emit := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			if said == 0 && !first.Stop() {
				return // over budget already: the caller hears the text as written
			}
			said++
			say(s)
		}
	}
	system := fmt.Sprintf(`%s

Say again what the phone agent must say next, in your own words, in %s, as you would on the phone: short sentences, no lists, no markdown, no emoji. Keep every fact, name, number, date, time, amount and question exactly as given; add nothing and leave nothing out. Answer with the new wording only.`,
		strings.TrimSpace(a.Prompt), languageNames[a.Language])
	req := openai.ChatCompletionRequest{
		Model:    m.cfg.Model,
		Messages: messages(system, history, "The agent must say: "+text),
	}
	m.setTemperature(&req)
	_, err := m.complete(ctx, req, &st, func(delta string) {
		pending.WriteString(delta)
		for {
			s := pending.String()
			i := sentenceEnd(s)
			if i < 0 {
				return
			}
			pending.Reset()
			pending.WriteString(s[i:])
			emit(s[:i])
		}
	})
	if err == nil {
		emit(pending.String())
		if said == 0 {
			err = ErrEmpty
		}
	}
	if err != nil && said == 0 && late.Load() {
		err = fmt.Errorf("%w (first sentence over the budget)", context.DeadlineExceeded)
	}
	m.finish(ctx, &st, trial, err)
	return err
}

// sentenceEnd returns the index just past the first complete sentence in
// s (its end mark and the space after it), or -1.
func sentenceEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.', '!', '?', '\n':
		default:
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '.' || s[j] == '!' || s[j] == '?' || s[j] == '"' || s[j] == ')') {
			j++
		}
		if j < len(s) && (s[j] == ' ' || s[j] == '\n') {
			return j + 1
		}
	}
	return -1
}
