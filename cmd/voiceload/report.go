package main

import (
	"fmt"
	"io"
	"math"
	"time"
)

// report is what a run measured. Durations are in milliseconds; the
// server's figures cover the hold, when every call was up.
type report struct {
	Transport string  `json:"transport"`     // twilio or webrtc
	STT       string  `json:"stt,omitempty"` // the server's recogniser, when voiceload started it: openai or deepgram
	Server    string  `json:"server"`
	Agent     string  `json:"agent"`
	Calls     int     `json:"calls"`
	RampS     float64 `json:"rampSeconds"`
	HoldS     float64 `json:"holdSeconds"`

	Held       int64          `json:"held"`   // calls up at the end of the hold
	Failed     int64          `json:"failed"` // calls that failed at any point
	Failures   map[string]int `json:"failures,omitempty"`
	Turns      int64          `json:"turns"`      // caller lines the agent answered, whole run
	Unanswered int64          `json:"unanswered"` // caller lines with no answer within 10 s

	// The callers' side.
	ReplyP50        float64 `json:"replyDelayP50Ms"` // last frame of the caller's line to the agent's first audio
	ReplyP99        float64 `json:"replyDelayP99Ms"`
	FramesHeard     int64   `json:"framesReceived"`        // 20 ms frames of the agent's audio the callers received, whole run
	Underruns       int64   `json:"underruns"`             // gaps the callers heard inside the agent's audio (Twilio: its playback buffer)
	CallerFrames    int64   `json:"callerTicks"`           // steps of the callers' clocks, each a frame for every call (WebRTC: each caller's packets)
	CallerLate      int64   `json:"callerLateTicks"`       // of which came more than 2 ms late (the load generator falling behind; WebRTC: over 22 ms after the caller's last)
	CallerMaxLateMs float64 `json:"callerMaxLateMs"`       // the latest
	ServerMessages  int64   `json:"invalidServerMessages"` // Twilio only

	// The server's metrics.
	ServerReplyP50     float64 `json:"serverReplyDelayP50Ms"`
	ServerReplyP99     float64 `json:"serverReplyDelayP99Ms"`
	EndpointingP50     float64 `json:"endpointingP50Ms"`
	EndpointingP99     float64 `json:"endpointingP99Ms"`
	OrchestratorP50    float64 `json:"orchestratorP50Ms"`
	OrchestratorP99    float64 `json:"orchestratorP99Ms"`
	OrchestratorUnder1 float64 `json:"orchestratorWithin1msShare"`
	OrchestratorUnder5 float64 `json:"orchestratorWithin5msShare"`
	ServerTurns        float64 `json:"serverTurns"`
	Services           float64 `json:"services"`      // service calls (bookings) made, whole run
	ServiceErrors      float64 `json:"serviceErrors"` // of which failed
	LateFrames         float64 `json:"lateFrames"`    // outbound frames sent too late to play on time
	DroppedFrames      float64 `json:"droppedFrames"` // inbound frames dropped before a call's loop started
	Cores              float64 `json:"serverCores"`
	CPUMsPerCallS      float64 `json:"serverCpuMsPerCallSecond"` // cores × 1000 / calls held
	RSSMB              float64 `json:"serverRssMB"`
	IdleRSSMB          float64 `json:"serverIdleRssMB"`
	RSSPerCallKB       float64 `json:"rssPerCallKB"`      // (RSS − idle RSS) / calls held
	TotalRSSPerCallKB  float64 `json:"totalRssPerCallKB"` // RSS / calls held
	Goroutines         float64 `json:"serverGoroutines"`

	LoadCores  float64     `json:"loadGeneratorCores"`
	FakesCores float64     `json:"fakesCores"`
	Fakes      *fakeCounts `json:"fakes,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// secMs turns seconds into milliseconds, and NaN (nothing observed) into 0.
func secMs(s float64) float64 {
	if math.IsNaN(s) {
		return 0
	}
	return s * 1000
}

func newReport(o *options, tg *target, t *tally, held int64, idle, from, to, end scrape, hold time.Duration) *report {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := func(name string) histogram { return to.histogram(name).since(from.histogram(name)) }
	reply, ep, orch := h("voiceagent_reply_delay_seconds"), h("voiceagent_endpointing_wait_seconds"), h("voiceagent_orchestrator_seconds")
	r := &report{
		Transport: o.transport, Server: tg.base, Agent: tg.agent, Calls: o.calls, RampS: o.ramp.Seconds(), HoldS: hold.Seconds(),
		Held: held, Failed: t.failed.Load(), Failures: t.failures, Turns: t.turns.Load(), Unanswered: t.unanswered.Load(),
		ReplyP50: ms(percentile(t.replies, 50)), ReplyP99: ms(percentile(t.replies, 99)),
		FramesHeard: t.clients.BytesReceived / 160, Underruns: t.clients.Underruns, ServerMessages: t.clients.Errors,

		ServerReplyP50: secMs(reply.quantile(.5)), ServerReplyP99: secMs(reply.quantile(.99)),
		EndpointingP50: secMs(ep.quantile(.5)), EndpointingP99: secMs(ep.quantile(.99)),
		OrchestratorP50: secMs(orch.quantile(.5)), OrchestratorP99: secMs(orch.quantile(.99)),
		OrchestratorUnder1: orch.within(.001), OrchestratorUnder5: orch.within(.005),
		ServerTurns:   orch.count,
		Services:      end.histogram("voiceagent_service_duration_seconds").count - idle.histogram("voiceagent_service_duration_seconds").count,
		ServiceErrors: end.value("voiceagent_service_errors_total") - idle.value("voiceagent_service_errors_total"),
		LateFrames:    to.value("voiceagent_late_frames_total"),
		DroppedFrames: to.value("voiceagent_dropped_frames_total"),
		Cores:         (to.value("process_cpu_seconds_total") - from.value("process_cpu_seconds_total")) / hold.Seconds(),
		RSSMB:         to.value("process_resident_memory_bytes") / 1e6,
		IdleRSSMB:     idle.value("process_resident_memory_bytes") / 1e6,
		Goroutines:    to.value("go_goroutines"),
	}
	if held > 0 {
		r.CPUMsPerCallS = r.Cores * 1e3 / float64(held)
		r.RSSPerCallKB = (r.RSSMB - r.IdleRSSMB) * 1e3 / float64(held)
		r.TotalRSSPerCallKB = r.RSSMB * 1e3 / float64(held)
	}
	if math.IsNaN(r.OrchestratorUnder1) {
		r.OrchestratorUnder1, r.OrchestratorUnder5 = 0, 0
	}
	return r
}

func (r *report) print(w io.Writer) {
	stt := ""
	if r.STT != "" {
		stt = ", speech-to-text " + r.STT
	}
	fmt.Fprintf(w, "voiceload: %d %s calls to %s (agent %s%s), ramp %.0fs, hold %.0fs\n", r.Calls, r.Transport, r.Server, r.Agent, stt, r.RampS, r.HoldS)
	fmt.Fprintf(w, "Calls:        %d held, %d failed\n", r.Held, r.Failed)
	for reason, n := range r.Failures {
		fmt.Fprintf(w, "              %d× %s\n", n, reason)
	}
	fmt.Fprintf(w, "Turns:        %d answered, %d unanswered (whole run); %.0f in the hold\n", r.Turns, r.Unanswered, r.ServerTurns)
	fmt.Fprintf(w, "Reply delay:  p50 %.0f ms, p99 %.0f ms as callers heard it; server p50 %.0f ms, p99 %.0f ms\n", r.ReplyP50, r.ReplyP99, r.ServerReplyP50, r.ServerReplyP99)
	fmt.Fprintf(w, "Services:     %.0f bookings made, %.0f failed (whole run)\n", r.Services, r.ServiceErrors)
	fmt.Fprintf(w, "Endpointing:  p50 %.0f ms, p99 %.0f ms\n", r.EndpointingP50, r.EndpointingP99)
	fmt.Fprintf(w, "Orchestrator: p50 %.3f ms, p99 %.3f ms (%.1f%% within 1 ms, %.2f%% within 5 ms)\n",
		r.OrchestratorP50, r.OrchestratorP99, 100*r.OrchestratorUnder1, 100*r.OrchestratorUnder5)
	if r.Transport == "webrtc" {
		// No playback buffer and no messages to check: the callers only count packets.
		fmt.Fprintf(w, "Audio:        %d frames to callers: %.0f late; %.0f inbound frames dropped (gaps heard, invalid messages: Twilio only)\n",
			r.FramesHeard, r.LateFrames, r.DroppedFrames)
	} else {
		fmt.Fprintf(w, "Audio:        %d frames to callers: %.0f late, %d gaps heard; %.0f inbound frames dropped; %d invalid messages\n",
			r.FramesHeard, r.LateFrames, r.Underruns, r.DroppedFrames, r.ServerMessages)
	}
	perCall := fmt.Sprintf("%.0f KB per call", r.RSSPerCallKB)
	if r.RSSPerCallKB < 0 {
		perCall = "below the idle server's, too few calls to tell their share"
	}
	fmt.Fprintf(w, "Server:       %.2f cores = %.2f CPU-ms per call-second, RSS %.0f MB (idle %.0f MB): %s (%.0f KB with the idle share), %.0f goroutines\n",
		r.Cores, r.CPUMsPerCallS, r.RSSMB, r.IdleRSSMB, perCall, r.TotalRSSPerCallKB, r.Goroutines)
	ticks := "ticks"
	if r.Transport == "webrtc" {
		ticks = "packets" // each caller's own, late when over 22 ms after its last
	}
	fmt.Fprintf(w, "Load:         generator %.2f cores (%d of %d %s late, the latest by %.0f ms)", r.LoadCores, r.CallerLate, r.CallerFrames, ticks, r.CallerMaxLateMs)
	f := r.Fakes
	if f == nil {
		fmt.Fprintln(w, "; the fakes are not voiceload's (--url)")
		return
	}
	fmt.Fprintf(w, ", fakes %.2f cores\n", r.FakesCores)
	if r.STT == "deepgram" {
		fmt.Fprintf(w, "Fakes:        %d Deepgram streams, %d utterances recognised (%d unmatched), %d speeches, %d chats\n",
			f.DeepgramStreams, f.DeepgramUtterances, f.Unmatched, f.Speeches, f.Chats)
		return
	}
	fmt.Fprintf(w, "Fakes:        %d transcriptions (%d unmatched), %d speeches, %d chats\n", f.Transcriptions, f.Unmatched, f.Speeches, f.Chats)
}
