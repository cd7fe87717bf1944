package twiliotest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
)

func ExampleTone() {
	pcm := twiliotest.Sine(440, 100*time.Millisecond)
	fmt.Printf("440 Hz: %.2f, 1000 Hz: %.2f\n", twiliotest.Tone(pcm, twiliotest.Rate, 440), twiliotest.Tone(pcm, twiliotest.Rate, 1000))
	// Output: 440 Hz: 1.00, 1000 Hz: 0.00
}

// A barge-in check: the caller speaks over the agent, and the server must
// clear within 250 ms of the caller starting to speak.
func ExampleDial() {
	ctx := context.Background()
	c, err := twiliotest.Dial(ctx, "ws://127.0.0.1:8080/twilio/stream", twiliotest.Config{
		Parameters: map[string]string{"agent": "clinica-central"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	// The greeting starts playing.
	if _, err := c.WaitEntry(ctx, func(e twiliotest.Entry) bool { return e.Kind == twiliotest.KindMedia }); err != nil {
		fmt.Println(err)
		return
	}
	u := c.Say(twiliotest.Sine(300, time.Second))
	<-u.Started()
	cl, err := c.WaitEntry(ctx, func(e twiliotest.Entry) bool {
		return e.Kind == twiliotest.KindClear && !e.At.Before(u.FirstFrame())
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("cleared after", cl.At.Sub(u.FirstFrame()))
	c.Hangup()
}
