package calls

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// serviceMetrics are the services' latency and failures. A nil
// *serviceMetrics records nothing.
type serviceMetrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// newServiceMetrics registers the metrics with reg; nil when reg is.
func newServiceMetrics(reg prometheus.Registerer) (*serviceMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &serviceMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "voiceagent_service_duration_seconds", Help: "Time a service (HTTP or MCP) took to answer.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2, 5, 10},
		}, []string{"agent", "intent"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiceagent_service_errors_total", Help: "Service calls that failed (the caller heard the fallback message).",
		}, []string{"agent", "intent"}),
	}
	for _, c := range []prometheus.Collector{m.duration, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *serviceMetrics) observe(agent, intent string, d time.Duration, failed bool) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(agent, intent).Observe(d.Seconds())
	if failed {
		m.errors.WithLabelValues(agent, intent).Inc()
	}
}
