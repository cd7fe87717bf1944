package twilio

import (
	"encoding/xml"
	"slices"
	"strings"
)

// ConnectStream returns the TwiML that connects a call to the Media Stream
// at streamURL (wss://…), passing params as <Parameter>s, which come back
// in the stream's start message. When the stream ends Twilio asks action
// (if not "") for the TwiML that goes on with the call.
func ConnectStream(streamURL, action string, params map[string]string) []byte {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<Response><Connect`)
	if action != "" {
		b.WriteString(` action="`)
		xml.EscapeText(&b, []byte(action))
		b.WriteString(`"`)
	}
	b.WriteString(`><Stream url="`)
	xml.EscapeText(&b, []byte(streamURL))
	b.WriteString(`">`)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(`<Parameter name="`)
		xml.EscapeText(&b, []byte(k))
		b.WriteString(`" value="`)
		xml.EscapeText(&b, []byte(params[k]))
		b.WriteString(`"/>`)
	}
	b.WriteString(`</Stream></Connect></Response>`)
	return []byte(b.String())
}

// Say returns TwiML that says text and hangs up: the answer to a call that
// cannot be taken (no such agent, too many calls).
func Say(text, lang string) []byte {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<Response><Say language="`)
	xml.EscapeText(&b, []byte(lang))
	b.WriteString(`">`)
	xml.EscapeText(&b, []byte(text))
	b.WriteString(`</Say><Hangup/></Response>`)
	return []byte(b.String())
}

// Dial returns TwiML that transfers the call to number.
func Dial(number string) []byte {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<Response><Dial>`)
	xml.EscapeText(&b, []byte(number))
	b.WriteString(`</Dial></Response>`)
	return []byte(b.String())
}

// Hangup returns TwiML that ends the call.
func Hangup() []byte {
	return []byte(xml.Header + `<Response><Hangup/></Response>`)
}
