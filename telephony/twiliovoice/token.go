package twiliovoice

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors of a stream's token.
var (
	errNoToken      = errors.New("no token")
	errBadToken     = errors.New("token does not match the call")
	errExpiredToken = errors.New("token expired")
	errSpentToken   = errors.New("token already used")
)

// tokens mints and checks the per-call tokens that bind a media stream to
// the webhook request that admitted it: the webhook signs the agent, the
// caller's number and the CallSid with an expiry, hands the token to the
// stream as a <Parameter>, and the stream's start must carry the same
// values and a token not used before. A captured handshake signature
// therefore opens no call, and no caller number or agent can be made up.
type tokens struct {
	key []byte
	ttl time.Duration

	mu   sync.Mutex
	used map[string]int64 // spent tokens, until their expiry (Unix seconds)
}

// tokenTTL is how long a webhook's token may wait for its stream: Twilio
// opens it at once.
const tokenTTL = time.Minute

// newTokens keys tokens with secret, or, when it is empty, with random
// bytes of this process (then only this process can check them).
func newTokens(secret string) *tokens {
	key := make([]byte, 32)
	if secret == "" {
		_, _ = rand.Read(key)
	} else {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte("voiceagent stream token v1"))
		key = m.Sum(nil)
	}
	return &tokens{key: key, ttl: tokenTTL, used: map[string]int64{}}
}

// mint returns the token of a call admitted now.
func (k *tokens) mint(agent, from, callSid string, now time.Time) string {
	exp := now.Add(k.ttl).Unix()
	return strconv.FormatInt(exp, 36) + "." + base64.RawURLEncoding.EncodeToString(k.mac(agent, from, callSid, exp))
}

// spend checks tok against the call's values and uses it up.
func (k *tokens) spend(tok, agent, from, callSid string, now time.Time) error {
	if tok == "" {
		return errNoToken
	}
	expText, macText, ok := strings.Cut(tok, ".")
	exp, err := strconv.ParseInt(expText, 36, 64)
	if !ok || err != nil {
		return errBadToken
	}
	mac, err := base64.RawURLEncoding.DecodeString(macText)
	if err != nil || !hmac.Equal(mac, k.mac(agent, from, callSid, exp)) {
		return errBadToken
	}
	if now.Unix() > exp {
		return errExpiredToken
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, spent := k.used[tok]; spent {
		return errSpentToken
	}
	for t, e := range k.used {
		if now.Unix() > e {
			delete(k.used, t)
		}
	}
	k.used[tok] = exp
	return nil
}

// mac signs the values, each with its length so that no two sets of
// values sign alike.
func (k *tokens) mac(agent, from, callSid string, exp int64) []byte {
	m := hmac.New(sha256.New, k.key)
	var n [8]byte
	for _, s := range []string{agent, from, callSid} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(n[:], uint64(exp))
	m.Write(n[:])
	return m.Sum(nil)
}
