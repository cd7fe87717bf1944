// Package signed mints and checks short-lived tokens: a purpose, a few
// values and an expiry signed with HMAC-SHA256 under a server's key. The
// values are not carried in the token — whoever checks it knows them (the
// call a stream claims, the agent an embed asks for) — so a token says
// nothing to whoever holds it and fits in a URL.
package signed

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors of Check.
var (
	ErrMissing = errors.New("no token")
	ErrInvalid = errors.New("token does not match")
	ErrExpired = errors.New("token expired")
)

// Key signs tokens. The zero Key is not usable: make one with NewKey.
type Key struct{ k []byte }

// NewKey derives a key from secret, so that every process given the same
// secret checks the others' tokens; "" gives random bytes of this process.
func NewKey(secret string) Key {
	if secret == "" {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return Key{k}
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("voiceagent signed tokens v1"))
	return Key{m.Sum(nil)}
}

// Mint returns a token for purpose and values, good until exp.
func (k Key) Mint(purpose string, exp time.Time, values ...string) string {
	e := exp.Unix()
	return strconv.FormatInt(e, 36) + "." + base64.RawURLEncoding.EncodeToString(k.mac(purpose, e, values))
}

// Check says whether tok was minted by this key for purpose and values,
// and is still good at now.
func (k Key) Check(tok, purpose string, now time.Time, values ...string) error {
	if tok == "" {
		return ErrMissing
	}
	expText, macText, ok := strings.Cut(tok, ".")
	exp, err := strconv.ParseInt(expText, 36, 64)
	if !ok || err != nil {
		return ErrInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(macText)
	if err != nil || !hmac.Equal(mac, k.mac(purpose, exp, values)) {
		return ErrInvalid
	}
	if now.Unix() > exp {
		return ErrExpired
	}
	return nil
}

// Expiry is when tok, if well formed, stops being good.
func Expiry(tok string) (time.Time, bool) {
	expText, _, ok := strings.Cut(tok, ".")
	exp, err := strconv.ParseInt(expText, 36, 64)
	if !ok || err != nil {
		return time.Time{}, false
	}
	return time.Unix(exp, 0), true
}

// mac signs the purpose, the expiry and the values, each with its length
// so that no two sets of values sign alike.
func (k Key) mac(purpose string, exp int64, values []string) []byte {
	m := hmac.New(sha256.New, k.k)
	var n [8]byte
	for _, s := range append([]string{purpose}, values...) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(n[:], uint64(exp))
	m.Write(n[:])
	return m.Sum(nil)
}
