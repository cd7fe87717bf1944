// Command voiceload puts a voiceagent server under load: many simulated
// Twilio calls at once, each a caller speaking recorded Spanish in real
// time and listening to the agent's answers, and reports what the callers
// and the server's metrics saw: calls held and failed, late audio, reply
// delays, the time voiceagent itself adds, CPU and memory per call.
//
// By default it starts the server itself (--voiceagent BIN) and the fake
// speech and language providers it talks to, each in its own process, so
// that their cost is not the server's. Run `voiceload --help`.
package main

import (
	"os"
	_ "time/tzdata" // the chaos agent's zone, for the dates its bookings must have
)

func main() {
	os.Exit(run(os.Args[1:]))
}
