package dialog

import (
	"os"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
)

func TestZZ(t *testing.T) {
	data, _ := os.ReadFile("/work/blind2/agents/coaches.yaml")
	a, _ := configs.Parse("x.yaml", data)
	e, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	c := e.NewCall("x", "")
	now := time.Date(2025, 8, 12, 10, 0, 0, 0, e.loc)
	c.Step(Start{At: now})
	text := "G'day, I need to book a bus from Sydney to Canberra this Saturday for two adults and three kids"
	s := e.service("book_trip")
	c.st.Slots = map[string]string{}
	for _, cd := range c.candidates(s, text, now, nil) {
		t.Logf("%s=%s %.1f %q", cd.f.Name, cd.value, cd.score, text[cd.sp.Start:cd.sp.End])
	}
	acts := c.Step(Utterance{At: now, Text: text})
	t.Logf("%+v %v", acts, c.st.Slots)
}
