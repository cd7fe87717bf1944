package llm

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config selects and tunes the model. Its zero value means: no model.
type Config struct {
	// Provider is "openai" (any OpenAI-compatible server) or "off".
	Provider string
	// BaseURL is the API's base, e.g. https://api.openai.com/v1 (the
	// default), http://localhost:11434/v1 (Ollama).
	BaseURL string
	// APIKey is sent as a bearer token (or as api-key to Azure).
	APIKey string
	// Model is the model, or the Azure deployment (default gpt-4o-mini).
	Model string
	// Azure selects Azure OpenAI's URL scheme and api-key header; it is
	// set by itself for *.openai.azure.com base URLs. APIVersion is
	// Azure's api-version (default 2024-10-21).
	Azure      bool
	APIVersion string
	// Budget is how long a caller's turn waits for the model before it is
	// understood without it (default 2s).
	Budget time.Duration
	// NoStream asks for whole answers instead of server-sent events, for
	// servers that stream tool calls badly.
	NoStream bool
}

// Defaults.
const (
	DefaultModel      = "gpt-4o-mini"
	DefaultBaseURL    = "https://api.openai.com/v1"
	DefaultBudget     = 2 * time.Second
	defaultAPIVersion = "2024-10-21"
)

// Env names the environment variables FromEnv reads.
var Env = []string{"VOICEAGENT_LLM", "OPENAI_BASE_URL", "OPENAI_API_KEY", "VOICEAGENT_LLM_MODEL",
	"VOICEAGENT_LLM_BUDGET", "OPENAI_API_TYPE", "OPENAI_API_VERSION", "VOICEAGENT_LLM_STREAM"}

// FromEnv reads the model settings from the environment (getenv is
// os.Getenv in production). VOICEAGENT_LLM unset means openai when
// OPENAI_API_KEY is set and off otherwise. It reports values that do not
// parse; Check, once flags are applied on top, reports the rest.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Provider:   strings.ToLower(strings.TrimSpace(getenv("VOICEAGENT_LLM"))),
		BaseURL:    getenv("OPENAI_BASE_URL"),
		APIKey:     getenv("OPENAI_API_KEY"),
		Model:      getenv("VOICEAGENT_LLM_MODEL"),
		Azure:      strings.EqualFold(getenv("OPENAI_API_TYPE"), "azure"),
		APIVersion: getenv("OPENAI_API_VERSION"),
	}
	if c.Provider == "" && c.APIKey != "" {
		c.Provider = "openai"
	}
	if b := getenv("VOICEAGENT_LLM_BUDGET"); b != "" {
		d, err := time.ParseDuration(b)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%w: VOICEAGENT_LLM_BUDGET=%q is not a positive duration such as 1.5s", ErrConfig, b)
		}
		c.Budget = d
	}
	switch s := strings.ToLower(getenv("VOICEAGENT_LLM_STREAM")); s {
	case "", "true", "1", "on", "yes":
	case "false", "0", "off", "no":
		c.NoStream = true
	default:
		return c, fmt.Errorf("%w: VOICEAGENT_LLM_STREAM=%q: want true or false", ErrConfig, s)
	}
	return c, nil
}

// Enabled reports whether a model is configured.
func (c Config) Enabled() bool { return c.Provider == "openai" }

// Check reports settings that cannot work.
func (c Config) Check() error {
	switch c.Provider {
	case "", "off", "openai":
	default:
		return fmt.Errorf("%w: VOICEAGENT_LLM=%q: want openai or off", ErrConfig, c.Provider)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: OPENAI_BASE_URL %q is not an http(s) URL", ErrConfig, c.BaseURL)
		}
	}
	if c.Budget < 0 {
		return fmt.Errorf("%w: the budget cannot be negative", ErrConfig)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.Model == "" {
		c.Model = DefaultModel
	}
	if c.Budget == 0 {
		c.Budget = DefaultBudget
	}
	if u, err := url.Parse(c.BaseURL); err == nil && strings.HasSuffix(u.Hostname(), ".openai.azure.com") {
		c.Azure = true
	}
	if c.Azure && c.APIVersion == "" {
		c.APIVersion = defaultAPIVersion
	}
	return c
}

// String describes the settings without the key, for a start-up line.
func (c Config) String() string {
	if !c.Enabled() {
		return "off"
	}
	c = c.withDefaults()
	host := c.BaseURL
	if u, err := url.Parse(c.BaseURL); err == nil {
		host = u.Host
	}
	kind := "openai-compatible"
	if c.Azure {
		kind = "azure"
	}
	key := "no key"
	if c.APIKey != "" {
		key = "key set"
	}
	return fmt.Sprintf("%s model %s at %s (%s, budget %s)", kind, c.Model, host, key, c.Budget)
}
