package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Signature computes X-Twilio-Signature for a request to fullURL (scheme,
// host, path and query, as Twilio called it) with form params (POST; nil
// for GET and websocket upgrades): base64 of HMAC-SHA1, keyed with the
// account's auth token, over the URL followed by every parameter's name
// and value, sorted by name.
func Signature(authToken, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		vs := slices.Clone(params[k])
		slices.Sort(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidSignature reports whether sig signs the request, in constant time.
func ValidSignature(authToken, fullURL string, params url.Values, sig string) bool {
	if sig == "" {
		return false
	}
	want := Signature(authToken, fullURL, params)
	return hmac.Equal([]byte(want), []byte(sig))
}
