// Command voiceagent runs voice agents: phone and browser callers talk to an
// agent that collects what a service needs, confirms sensitive actions, calls
// the customer's APIs and answers with what they returned.
//
// Run `voiceagent --help` for the commands.
package main

import (
	"os"
	_ "time/tzdata" // agents name IANA time zones; do not depend on the host's
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
