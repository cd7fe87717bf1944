package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// guard lets only operators through to what holds caller data (the calls
// API) and, unless it is public, /metrics: a request must carry one of
// the API keys as a bearer token, or, with no key configured, come from
// loopback.
type guard struct {
	keys [][sha256.Size]byte // hashed: compared in constant time whatever their length
}

// minKeyLen is the shortest API key accepted.
const minKeyLen = 16

// parseKeys reads VOICEAGENT_API_KEY: keys separated by commas or spaces,
// several while one is rotated out.
func parseKeys(v string) (guard, error) {
	var g guard
	for _, k := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		if len(k) < minKeyLen {
			return guard{}, usageErr("VOICEAGENT_API_KEY: a key has %d characters; want %d or more (openssl rand -hex 32 makes one)", len(k), minKeyLen)
		}
		g.keys = append(g.keys, sha256.Sum256([]byte(k)))
	}
	return g, nil
}

// wrap guards h.
func (g guard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(g.keys) == 0 {
			if !fromLoopback(r) {
				http.Error(w, "forbidden: set VOICEAGENT_API_KEY on the server to use this from another machine", http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		if !g.allows(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="voiceagent"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <VOICEAGENT_API_KEY>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// allows says whether an Authorization header carries one of the keys;
// every key is compared, whichever matches.
func (g guard) allows(auth string) bool {
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	match := 0
	for _, k := range g.keys {
		match |= subtle.ConstantTimeCompare(sum[:], k[:])
	}
	return match == 1
}

// fromLoopback says whether r came over loopback.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
