package llm

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the model's figures for Prometheus: time to first token and
// to the end, tokens, and how each round trip ended, by kind (understand,
// phrase).
type Metrics struct {
	firstToken, total *prometheus.HistogramVec
	tokens, turns     *prometheus.CounterVec
}

// NewMetrics registers the model's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	buckets := []float64{.05, .1, .2, .3, .5, .75, 1, 1.5, 2, 3, 5}
	m := &Metrics{
		firstToken: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "voiceagent_llm_first_token_seconds", Help: "Time from a model request to its first token.", Buckets: buckets,
		}, []string{"kind"}),
		total: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "voiceagent_llm_duration_seconds", Help: "Time from a model request to the end of its answer.", Buckets: buckets,
		}, []string{"kind"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiceagent_llm_tokens_total", Help: "Tokens the model read (prompt) and wrote (completion).",
		}, []string{"kind", "type"}),
		turns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiceagent_llm_requests_total", Help: "Model round trips by outcome: ok, or why the turn went on without the model.",
		}, []string{"kind", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.firstToken, m.total, m.tokens, m.turns} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe records one round trip; use it as Options.Observe.
func (m *Metrics) Observe(s Stats) {
	m.turns.WithLabelValues(s.Kind, s.Outcome).Inc()
	if s.Outcome != "ok" {
		return
	}
	if s.FirstToken > 0 {
		m.firstToken.WithLabelValues(s.Kind).Observe(s.FirstToken.Seconds())
	}
	m.total.WithLabelValues(s.Kind).Observe(s.Total.Seconds())
	m.tokens.WithLabelValues(s.Kind, "prompt").Add(float64(s.PromptTokens))
	m.tokens.WithLabelValues(s.Kind, "completion").Add(float64(s.CompletionTokens))
}
