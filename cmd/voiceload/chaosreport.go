package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// chaosReport is what a --chaos run measured. Durations are in
// milliseconds.
type chaosReport struct {
	Mode        string  `json:"mode"` // "chaos"
	Callers     int     `json:"callers"`
	RampS       float64 `json:"rampSeconds"`
	HoldS       float64 `json:"holdSeconds"`
	RunS        float64 `json:"runSeconds"` // from the first call to the end of the last
	ChaosEveryS float64 `json:"chaosEverySeconds"`
	ChaosDownS  float64 `json:"chaosDownSeconds"`
	Seed        uint64  `json:"seed"`
	Redis       string  `json:"redis"`
	Logs        string  `json:"logs"` // the folder of the servers' and HAProxy's logs

	Started    int64          `json:"callsStarted"`
	Completed  int64          `json:"callsCompleted"` // the caller heard its booking made (or said every line) and hung up
	Failed     int64          `json:"callsFailed"`
	Failures   map[string]int `json:"failures,omitempty"`
	Turns      int64          `json:"turns"`      // lines the agent answered
	Unanswered int64          `json:"unanswered"` // waits of 10 s for the agent that heard nothing
	Unknown    int64          `json:"questionsNotTold"`
	Invalid    int64          `json:"invalidServerMessages"` // on the calls' last streams

	Bookings        int            `json:"bookings"`                // calls whose booking reached the API
	NotBooked       int            `json:"completedWithoutBooking"` // completed calls with no booking: goal 0
	FieldsLost      int            `json:"fieldsLost"`              // bookings whose body misses or differs from what the caller said: goal 0
	FieldsLostBy    map[string]int `json:"fieldsLostByField,omitempty"`
	DuplicateCalls  int            `json:"duplicateCalls"`             // calls with more than one POST: goal 0
	DuplicatePosts  int            `json:"duplicatePosts"`             // POSTs beyond a call's first
	SharedKeyPosts  int            `json:"postsReusingIdempotencyKey"` // POSTs whose Idempotency-Key an earlier POST had
	PostsWithoutKey int            `json:"postsWithoutIdempotencyKey"`
	StrayPosts      int            `json:"postsOfNoCall"` // POSTs whose caller number is no call's of this run

	HandOvers        int64   `json:"handOvers"`        // new streams callers got for a call under way
	UnheardHandOvers int     `json:"handOversUnheard"` // of which no agent audio ever came on the new stream
	SilenceP50       float64 `json:"handOverSilenceP50Ms"`
	SilenceP99       float64 `json:"handOverSilenceP99Ms"`
	SilenceMax       float64 `json:"handOverSilenceMaxMs"`
	// The hand-over's steps, p50 and p99: from the drop to the action
	// request's answer, from there to the new stream open, from there to
	// the agent's first audio on it.
	ActionP50     float64 `json:"handOverActionP50Ms"`
	ActionP99     float64 `json:"handOverActionP99Ms"`
	OpenP50       float64 `json:"handOverOpenP50Ms"`
	OpenP99       float64 `json:"handOverOpenP99Ms"`
	FirstAudioP50 float64 `json:"handOverFirstAudioP50Ms"`
	FirstAudioP99 float64 `json:"handOverFirstAudioP99Ms"`

	Kills      int64  `json:"kills"`
	Restarts   int64  `json:"restarts"`
	RestartErr string `json:"restartError,omitempty"`

	CallSeconds     float64          `json:"callSeconds"`      // the calls' durations, summed
	ServerCPUS      float64          `json:"serverCpuSeconds"` // both instances, every process, over the run
	CPUMsPerCallS   float64          `json:"serverCpuMsPerCallSecond"`
	RedisOps        int64            `json:"redisOps"`     // commands the instances ran in Redis over the run
	RedisCounted    string           `json:"redisCounted"` // how: MONITOR of the database, or INFO (the whole server's)
	RedisOpsPerCall float64          `json:"redisOpsPerCall"`
	RedisCommands   map[string]int64 `json:"redisCommands,omitempty"`
	Fakes           *fakeCounts      `json:"fakes,omitempty"`
}

// report gathers the run's figures: the calls', the bookings' check, the
// cost.
func (ch *chaosRun) report(run, cpu time.Duration, redisCmds map[string]int64, bookings []booking) *chaosReport {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	o := ch.o
	r := &chaosReport{
		Mode: "chaos", Callers: o.calls, RampS: o.ramp.Seconds(), HoldS: o.hold.Seconds(), RunS: run.Seconds(),
		ChaosEveryS: o.chaos.every.Seconds(), ChaosDownS: o.chaos.down.Seconds(), Seed: o.chaos.seed,
		Started: ch.started.Load(), Completed: ch.completed.Load(), Failed: ch.failed.Load(), Failures: ch.failures,
		Turns: ch.turns.Load(), Unanswered: ch.unanswered.Load(), Unknown: ch.unknown.Load(), Invalid: ch.invalid.Load(),
		HandOvers: ch.handOvers.Load(), UnheardHandOvers: ch.unheardHandOvers,
		Kills: ch.kills.Load(), Restarts: ch.restarts.Load(),
		CallSeconds: ch.callTime.Seconds(), ServerCPUS: cpu.Seconds(),
	}
	if ch.restartErr != nil {
		r.RestartErr = ch.restartErr.Error()
	}
	r.checkBookings(ch.calls, bookings)
	r.SilenceP50, r.SilenceP99 = ms(percentile(ch.silences, 50)), ms(percentile(ch.silences, 99))
	if len(ch.silences) > 0 {
		r.SilenceMax = ms(slices.Max(ch.silences))
	}
	r.ActionP50, r.ActionP99 = ms(percentile(ch.steps[0], 50)), ms(percentile(ch.steps[0], 99))
	r.OpenP50, r.OpenP99 = ms(percentile(ch.steps[1], 50)), ms(percentile(ch.steps[1], 99))
	r.FirstAudioP50, r.FirstAudioP99 = ms(percentile(ch.steps[2], 50)), ms(percentile(ch.steps[2], 99))
	if r.CallSeconds > 0 {
		r.CPUMsPerCallS = r.ServerCPUS * 1000 / r.CallSeconds
	}
	r.RedisCommands = redisCmds
	for _, n := range redisCmds {
		r.RedisOps += n
	}
	if r.Started > 0 {
		r.RedisOpsPerCall = float64(r.RedisOps) / float64(r.Started)
	}
	return r
}

// checkBookings holds the API's POSTs against the calls: each call's
// first POST must have what its caller said; a call must have at most
// one; POSTs must carry Idempotency-Keys of their own.
func (r *chaosReport) checkBookings(calls []*chaosCall, bookings []booking) {
	byCaller := map[string][]booking{}
	keys := map[string]bool{}
	for _, b := range bookings {
		from, _ := b.Body["llamada"].(string)
		byCaller[from] = append(byCaller[from], b)
		switch {
		case b.Key == "":
			r.PostsWithoutKey++
		case keys[b.Key]:
			r.SharedKeyPosts++
		}
		keys[b.Key] = true
	}
	r.FieldsLostBy = map[string]int{}
	for _, c := range calls {
		posts := byCaller[c.from]
		delete(byCaller, c.from)
		if len(posts) == 0 {
			if c.completed {
				r.NotBooked++
			}
			continue
		}
		r.Bookings++
		if len(posts) > 1 {
			r.DuplicateCalls++
			r.DuplicatePosts += len(posts) - 1
		}
		lost := map[string]bool{}
		for _, b := range posts {
			for _, f := range lostFields(b.Body, c.want) {
				lost[f] = true
			}
		}
		if len(lost) > 0 {
			r.FieldsLost++
			for f := range lost {
				r.FieldsLostBy[f]++
			}
		}
	}
	for _, posts := range byCaller { // no call of this run said that number
		r.StrayPosts += len(posts)
		r.FieldsLost += len(posts)
		r.FieldsLostBy["llamada"] += len(posts)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (r *chaosReport) print(w io.Writer) {
	fmt.Fprintf(w, "voiceload --chaos: %d callers for %.0fs (ramp %.0fs) through HAProxy to serve a and b on %s; a SIGKILL every %.0fs on average (seed %d), down %.1fs\n",
		r.Callers, r.HoldS, r.RampS, r.Redis, r.ChaosEveryS, r.Seed, r.ChaosDownS)
	fmt.Fprintf(w, "Calls:       %d started, %d completed, %d failed (%.0fs run)\n", r.Started, r.Completed, r.Failed, r.RunS)
	for _, reason := range slices.Sorted(maps.Keys(r.Failures)) {
		fmt.Fprintf(w, "             %d× %s\n", r.Failures[reason], reason)
	}
	fmt.Fprintf(w, "Bookings:    %d made, %d completed calls without one; %d with fields lost", r.Bookings, r.NotBooked, r.FieldsLost)
	if len(r.FieldsLostBy) > 0 {
		fmt.Fprint(w, " (")
		for i, f := range slices.Sorted(maps.Keys(r.FieldsLostBy)) {
			if i > 0 {
				fmt.Fprint(w, ", ")
			}
			fmt.Fprintf(w, "%s %d", f, r.FieldsLostBy[f])
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Duplicates:  %d calls booked more than once (%d extra POSTs); %d POSTs reused an Idempotency-Key, %d had none, %d were of no call\n",
		r.DuplicateCalls, r.DuplicatePosts, r.SharedKeyPosts, r.PostsWithoutKey, r.StrayPosts)
	fmt.Fprintf(w, "Hand-overs:  %d seen by callers (%d with no agent audio after); silence heard p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
		r.HandOvers, r.UnheardHandOvers, r.SilenceP50, r.SilenceP99, r.SilenceMax)
	if r.HandOvers > 0 {
		fmt.Fprintf(w, "             drop to action answered p50 %.0f ms (p99 %.0f), to new stream open %.0f ms (%.0f), to first audio %.0f ms (%.0f)\n",
			r.ActionP50, r.ActionP99, r.OpenP50, r.OpenP99, r.FirstAudioP50, r.FirstAudioP99)
	}
	fmt.Fprintf(w, "Chaos:       %d kills, %d restarts", r.Kills, r.Restarts)
	if r.RestartErr != "" {
		fmt.Fprintf(w, " (then an instance did not start: %s)", r.RestartErr)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Turns:       %d answered, %d waits with no answer, %d questions not told apart; %d invalid server messages\n", r.Turns, r.Unanswered, r.Unknown, r.Invalid)
	fmt.Fprintf(w, "Cost:        server %.1f CPU-ms per call-second (%.1f s of CPU, both instances, over %.0f call-seconds); Redis %.1f commands per call (%d in all; %s)\n",
		r.CPUMsPerCallS, r.ServerCPUS, r.CallSeconds, r.RedisOpsPerCall, r.RedisOps, r.RedisCounted)
	if len(r.RedisCommands) > 0 {
		names := slices.SortedFunc(maps.Keys(r.RedisCommands), func(a, b string) int {
			return cmp.Or(cmp.Compare(r.RedisCommands[b], r.RedisCommands[a]), cmp.Compare(a, b))
		})
		fmt.Fprint(w, "             ")
		for i, name := range names[:min(len(names), 8)] {
			if i > 0 {
				fmt.Fprint(w, ", ")
			}
			fmt.Fprintf(w, "%s %d", name, r.RedisCommands[name])
		}
		fmt.Fprintln(w)
	}
	if f := r.Fakes; f != nil {
		fmt.Fprintf(w, "Fakes:       %d transcriptions (%d unmatched), %d speeches, %d chats\n", f.Transcriptions, f.Unmatched, f.Speeches, f.Chats)
	}
	fmt.Fprintf(w, "Logs:        %s\n", r.Logs)
}
