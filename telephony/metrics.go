package telephony

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the voice runtime's figures for Prometheus. A nil *Metrics
// records nothing.
type Metrics struct {
	active        prometheus.Gauge
	calls         *prometheus.CounterVec
	endpointing   prometheus.Histogram
	stt           prometheus.Histogram
	ttsFirstByte  prometheus.Histogram
	replyDelay    prometheus.Histogram
	orchestrator  prometheus.Histogram
	lateFrames    prometheus.Counter
	droppedFrames prometheus.Counter
	bargeIns      prometheus.Counter
}

// NewMetrics registers the runtime's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	speech := []float64{.05, .1, .15, .2, .25, .3, .4, .5, .75, 1, 1.5, 2, 3, 5}
	small := []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25}
	h := func(name, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	}
	m := &Metrics{
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "voiceagent_active_calls", Help: "Calls in progress."}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiceagent_calls_total", Help: "Finished calls, by how they ended.",
		}, []string{"outcome"}),
		endpointing:  h("voiceagent_endpointing_wait_seconds", "Time from the caller's last voiced frame to the end of the turn being decided.", speech),
		stt:          h("voiceagent_stt_seconds", "Time from the end of a turn to the recogniser's last final transcript for it.", speech),
		ttsFirstByte: h("voiceagent_tts_first_byte_seconds", "Time from asking text-to-speech for a sentence to its first audio.", speech),
		replyDelay:   h("voiceagent_reply_delay_seconds", "Time from the caller's last voiced frame to the first frame of the agent's answer.", speech),
		orchestrator: h("voiceagent_orchestrator_seconds", "The part of the reply delay spent in voiceagent itself: the reply delay less endpointing, recognition, services, models and text-to-speech.", small),
		lateFrames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiceagent_late_frames_total", Help: "Outbound audio frames sent too late to play on time: after the frames sent ahead of them had played out, so the caller heard a gap.",
		}),
		droppedFrames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiceagent_dropped_frames_total", Help: "Inbound audio frames dropped: beyond half a second of them before a call's loop started.",
		}),
		bargeIns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiceagent_barge_ins_total", Help: "Times a caller interrupted the agent.",
		}),
	}
	for _, c := range []prometheus.Collector{m.active, m.calls, m.endpointing, m.stt, m.ttsFirstByte, m.replyDelay, m.orchestrator, m.lateFrames, m.droppedFrames, m.bargeIns} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) callStarted() {
	if m != nil {
		m.active.Inc()
	}
}

func (m *Metrics) callEnded(outcome string) {
	if m != nil {
		m.active.Dec()
		m.calls.WithLabelValues(outcome).Inc()
	}
}

func observe(h prometheus.Histogram, d time.Duration) {
	h.Observe(d.Seconds())
}

// turn records the timing of one answered turn.
func (m *Metrics) turn(t TurnTiming) {
	if m == nil {
		return
	}
	observe(m.endpointing, t.Endpointing)
	observe(m.stt, t.STT)
	observe(m.replyDelay, t.ReplyDelay)
	observe(m.orchestrator, t.Orchestrator())
}

func (m *Metrics) firstByte(d time.Duration) {
	if m != nil {
		observe(m.ttsFirstByte, d)
	}
}

func (m *Metrics) late(n int64) {
	if m != nil && n > 0 {
		m.lateFrames.Add(float64(n))
	}
}

func (m *Metrics) dropped() {
	if m != nil {
		m.droppedFrames.Inc()
	}
}

func (m *Metrics) bargeIn() {
	if m != nil {
		m.bargeIns.Inc()
	}
}

// TurnTiming is where the time of one caller turn went, from the caller's
// last voiced frame to the first frame of the answer.
type TurnTiming struct {
	Endpointing time.Duration // waiting for the pause that ends the turn
	STT         time.Duration // waiting for the recogniser's finals
	External    time.Duration // services and models, within the conversation's Handle
	TTS         time.Duration // text-to-speech's first audio
	ReplyDelay  time.Duration // all of it

	from time.Time // the caller's last voiced frame
}

// Orchestrator is the reply delay less what was spent waiting for others.
func (t TurnTiming) Orchestrator() time.Duration {
	return max(0, t.ReplyDelay-t.Endpointing-t.STT-t.External-t.TTS)
}
