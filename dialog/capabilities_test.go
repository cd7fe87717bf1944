package dialog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/voiceagent/voiceagent/configs"
)

// manyServices is an agent file with n services, the first disabled.
func manyServices(lang string, n int, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: many\nlanguage: %s\n%sservices:\n", lang, extra)
	for i := range n {
		ref := fmt.Sprintf("gestionar el trámite %d", i)
		if lang == "en" {
			ref = fmt.Sprintf("handle case %d", i)
		}
		fmt.Fprintf(&b, "  - intent: s%d\n    reference: %q\n    endpoint: https://api.example.com/s%d\n", i, ref, i)
		if i == 0 {
			b.WriteString("    enabled: false\n")
		}
	}
	return b.String()
}

// TestCapabilitiesCapped: the sentence that says what the agent can do
// names the first five enabled services, then says "and more", however
// many there are.
func TestCapabilitiesCapped(t *testing.T) {
	tests := []struct {
		name, lang string
		services   int
		extra      string
		want       string
	}{
		{"es, five enabled: all named", "es", 6, "",
			"Perdona, no te entendí. Puedo ayudarte a gestionar el trámite 1, gestionar el trámite 2, gestionar el trámite 3, gestionar el trámite 4 y gestionar el trámite 5. ¿Qué necesitas?"},
		{"es, six enabled", "es", 7, "",
			"Perdona, no te entendí. Puedo ayudarte a gestionar el trámite 1, gestionar el trámite 2, gestionar el trámite 3, gestionar el trámite 4, gestionar el trámite 5 y más. ¿Qué necesitas?"},
		{"es, a thousand", "es", 1000, "",
			"Perdona, no te entendí. Puedo ayudarte a gestionar el trámite 1, gestionar el trámite 2, gestionar el trámite 3, gestionar el trámite 4, gestionar el trámite 5 y más. ¿Qué necesitas?"},
		{"en, a thousand", "en", 1000, "",
			"Sorry, I didn't catch that. I can help you handle case 1, handle case 2, handle case 3, handle case 4, handle case 5 and more. What do you need?"},
		{"en, the agent's own words for more", "en", 1000, "phrases: {moreServices: \"much else\"}\n",
			"Sorry, I didn't catch that. I can help you handle case 1, handle case 2, handle case 3, handle case 4, handle case 5 and much else. What do you need?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := configs.Parse("many.yaml", []byte(manyServices(tt.lang, tt.services, tt.extra)))
			if err != nil {
				t.Fatal(err)
			}
			e, err := New(a)
			if err != nil {
				t.Fatal(err)
			}
			c := e.NewCall("test-call", "")
			c.Step(Start{At: wednesday})
			var said []string
			for _, act := range c.Step(Utterance{At: wednesday, Text: "zzyzx qwfp"}) {
				if text := Text(act); text != "" {
					said = append(said, text)
				}
			}
			if got := strings.Join(said, " | "); got != tt.want {
				t.Errorf("said %q\nwant %q", got, tt.want)
			}
		})
	}
}
