package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape is the server's metrics at one moment.
type scrape map[string]*dto.MetricFamily

// fetchMetrics reads the server's /metrics, with the API key if given.
func fetchMetrics(ctx context.Context, tg *target) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tg.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	if tg.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+tg.apiKey)
	}
	resp, err := tg.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("/metrics: %w", err)
	}
	return scrape(fams), nil
}

// value is the sum of a counter's or gauge's series (0 when absent).
func (s scrape) value(name string) float64 {
	f := s[name]
	if f == nil {
		return 0
	}
	var v float64
	for _, m := range f.Metric {
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Untyped != nil:
			v += m.Untyped.GetValue()
		}
	}
	return v
}

// histogram is a cumulative histogram: counts[i] observations ≤ bounds[i].
type histogram struct {
	bounds []float64
	counts []float64
	count  float64
}

// histogram returns the named histogram, its series summed.
func (s scrape) histogram(name string) histogram {
	var h histogram
	f := s[name]
	if f == nil {
		return h
	}
	for _, m := range f.Metric {
		mh := m.Histogram
		if mh == nil {
			continue
		}
		if h.bounds == nil {
			for _, b := range mh.Bucket {
				h.bounds = append(h.bounds, b.GetUpperBound())
			}
			h.counts = make([]float64, len(h.bounds))
		}
		for i, b := range mh.Bucket {
			if i < len(h.counts) {
				h.counts[i] += float64(b.GetCumulativeCount())
			}
		}
		h.count += float64(mh.GetSampleCount())
	}
	return h
}

// since is what h observed after earlier.
func (h histogram) since(earlier histogram) histogram {
	d := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts)), count: h.count - earlier.count}
	for i := range h.counts {
		d.counts[i] = h.counts[i]
		if i < len(earlier.counts) {
			d.counts[i] -= earlier.counts[i]
		}
	}
	return d
}

// quantile estimates the q-quantile (0–1) as Prometheus's
// histogram_quantile does: linearly within the bucket it falls in. Above
// the last bound it answers the last bound; NaN when nothing was observed.
func (h histogram) quantile(q float64) float64 {
	if h.count == 0 {
		return math.NaN()
	}
	rank := q * h.count
	lower, below := 0.0, 0.0
	for i, c := range h.counts {
		if c >= rank {
			if c == below {
				return h.bounds[i]
			}
			return lower + (h.bounds[i]-lower)*(rank-below)/(c-below)
		}
		lower, below = h.bounds[i], c
	}
	return lower
}

// within is the share (0–1) of observations at most bound, which must be
// one of the bucket bounds; NaN when nothing was observed or it is not.
func (h histogram) within(bound float64) float64 {
	for i, b := range h.bounds {
		if b == bound && h.count > 0 {
			return h.counts[i] / h.count
		}
	}
	return math.NaN()
}

// firstKey is the first of the keys in a VOICEAGENT_API_KEY value.
func firstKey(v string) string {
	k, _, _ := strings.Cut(strings.TrimSpace(v), ",")
	return strings.TrimSpace(k)
}
