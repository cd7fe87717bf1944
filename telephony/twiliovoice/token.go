package twiliovoice

import (
	"errors"
	"sync"
	"time"

	"github.com/voiceagent/voiceagent/internal/signed"
)

// Errors of a stream's token.
var (
	errNoToken      = signed.ErrMissing
	errBadToken     = signed.ErrInvalid
	errExpiredToken = signed.ErrExpired
	errSpentToken   = errors.New("token already used")
)

// tokens mints and checks the per-call tokens that bind a media stream to
// the webhook request that admitted it: the webhook signs the agent, the
// caller's number and the CallSid with an expiry, hands the token to the
// stream as a <Parameter>, and the stream's start must carry the same
// values and a token not used before. A captured handshake signature
// therefore opens no call, and no caller number or agent can be made up.
type tokens struct {
	key signed.Key
	ttl time.Duration

	mu   sync.Mutex
	used map[string]time.Time // spent tokens, until their expiry
}

// tokenTTL is how long a webhook's token may wait for its stream: Twilio
// opens it at once.
const tokenTTL = time.Minute

// purpose names the stream tokens among the server's signed tokens.
const purpose = "twilio stream"

// newTokens keys tokens with secret, or, when it is empty, with random
// bytes of this process (then only this process can check them).
func newTokens(secret string) *tokens {
	return &tokens{key: signed.NewKey(secret), ttl: tokenTTL, used: map[string]time.Time{}}
}

// mint returns the token of a call admitted now; resume is the id of the
// call a new stream goes on with, "" for a new call.
func (k *tokens) mint(agent, from, callSid, resume string, now time.Time) string {
	return k.key.Mint(purpose, now.Add(k.ttl), agent, from, callSid, resume)
}

// spend checks tok against the call's values and uses it up.
func (k *tokens) spend(tok, agent, from, callSid, resume string, now time.Time) error {
	if err := k.key.Check(tok, purpose, now, agent, from, callSid, resume); err != nil {
		return err
	}
	exp, _ := signed.Expiry(tok)
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, spent := k.used[tok]; spent {
		return errSpentToken
	}
	for t, e := range k.used {
		if now.After(e) {
			delete(k.used, t)
		}
	}
	k.used[tok] = exp
	return nil
}
