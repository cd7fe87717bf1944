package main

import (
	"net"

	"github.com/voiceagent/voiceagent/internal/sockio"
)

// providers is the HTTP client of the model and the OpenAI speech
// providers, and dialDeepgram opens Deepgram's streams: their connections
// read and write without the scheduler's system-call bookkeeping
// (internal/sockio), as the callers' own do.
var (
	providers    = sockio.Client()
	dialDeepgram = sockio.DialContext(&net.Dialer{})
)
