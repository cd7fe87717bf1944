package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/voiceagent/voiceagent/internal/sockio"
	"github.com/voiceagent/voiceagent/llm"
)

// llmFlags override the model settings of the environment (SPEC §6). The
// API key is read from OPENAI_API_KEY only: a flag would show it in the
// process list.
type llmFlags struct {
	provider, model, url string
	budget               time.Duration
	require              bool // a model is asked for (replay --llm)
}

func (f *llmFlags) add(fs *pflag.FlagSet, provider bool) {
	if provider {
		fs.StringVar(&f.provider, "llm", "", "language model: openai or off (env VOICEAGENT_LLM; default openai when OPENAI_API_KEY is set)")
	}
	fs.StringVar(&f.model, "llm-model", "", "model or Azure deployment (env VOICEAGENT_LLM_MODEL; default "+llm.DefaultModel+")")
	fs.StringVar(&f.url, "llm-url", "", "OpenAI-compatible base URL (env OPENAI_BASE_URL; default "+llm.DefaultBaseURL+")")
	fs.DurationVar(&f.budget, "llm-budget", 0, "how long a turn waits for the model before going on without it (env VOICEAGENT_LLM_BUDGET; default 2s)")
}

// config is the environment's settings with the flags on top.
func (f *llmFlags) config() (llm.Config, error) {
	c, err := llm.FromEnv(os.Getenv)
	if err != nil {
		return c, usageErr("%v", err)
	}
	if f.provider != "" {
		c.Provider = f.provider
	}
	if f.model != "" {
		c.Model = f.model
	}
	if f.url != "" {
		c.BaseURL = f.url
	}
	if f.budget != 0 {
		c.Budget = f.budget
	}
	if f.require && c.Provider == "" && c.BaseURL != "" {
		c.Provider = "openai" // replay --llm with a keyless server (Ollama, vLLM)
	}
	if err := c.Check(); err != nil {
		return c, usageErr("%v", err)
	}
	return c, nil
}

// model opens the configured model, or returns nil when none is.
func (a *app) model(f *llmFlags) (*llm.Model, llm.Config, error) {
	c, err := f.config()
	if err != nil || !c.Enabled() {
		return nil, c, err
	}
	m, err := llm.New(c, llm.Options{Logger: a.log, HTTPClient: sockio.Client()})
	if err != nil {
		return nil, c, usageErr("%v", err)
	}
	return m, m.Config(), nil
}

// modelNote says how the caller's words are understood.
func modelNote(c llm.Config) string {
	if !c.Enabled() {
		return "Understanding: rules only (set OPENAI_API_KEY, or VOICEAGENT_LLM=openai and OPENAI_BASE_URL, to add a model)"
	}
	return fmt.Sprintf("Understanding: %s, rules when it fails or is slow", c)
}
