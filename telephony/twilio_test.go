package telephony

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
	"github.com/voiceagent/voiceagent/dialog"
	"github.com/voiceagent/voiceagent/telephony/twilio"
	"github.com/voiceagent/voiceagent/telephony/twilio/twiliotest"
)

// opener opens every call on a fakeSession with reply.
type opener struct{ reply func(dialog.Event) Reply }

func (o opener) Open(_ context.Context, info CallInfo) (*Conversation, error) {
	agent := &configs.Agent{Name: "a", Language: "es", Voice: testVoice}
	return &Conversation{Session: &fakeSession{reply: o.reply}, Agent: agent, TTS: &fakeTTS{perChar: time.Millisecond}}, nil
}

// TestTwilioTransfer: an agent that transfers ends the stream after its
// words, and Twilio's question to /twilio/after is answered with a <Dial>
// to the number, once.
func TestTwilioTransfer(t *testing.T) {
	const token = "secret"
	tw := NewTwilio(NewRuntime(Options{}), opener{func(ev dialog.Event) Reply {
		return Reply{Actions: []dialog.Action{say("Te paso con una persona.", dialog.Info), dialog.Transfer{Number: "+34910000000"}}}
	}}, TwilioConfig{AuthToken: token})
	mux := http.NewServeMux()
	tw.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	stream := "ws" + strings.TrimPrefix(srv.URL, "http") + "/twilio/stream"
	proto := http.Header{"X-Forwarded-Proto": {"http, https"}} // a proxy chain: the first is the client's

	if _, err := twiliotest.Dial(context.Background(), stream, twiliotest.Config{Header: proto}); err == nil {
		t.Error("an unsigned stream was accepted")
	}
	h := proto.Clone()
	h.Set("X-Twilio-Signature", twilio.Signature(token, stream, nil))
	client, err := twiliotest.Dial(context.Background(), stream, twiliotest.Config{CallSid: "CA42", Header: h})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	select {
	case <-client.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end after the transfer")
	}
	if len(client.Played()) == 0 {
		t.Error("the caller heard nothing before the transfer")
	}
	after := func() string {
		form := url.Values{"CallSid": {"CA42"}}
		req, _ := http.NewRequest("POST", srv.URL+"/twilio/after", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "http")
		req.Header.Set("X-Twilio-Signature", twilio.Signature(token, srv.URL+"/twilio/after", form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for deadline := time.Now().Add(5 * time.Second); tw.Active() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if got := after(); !strings.Contains(got, "<Dial>+34910000000</Dial>") {
		t.Errorf("after the transfer: %s", got)
	}
	if got := after(); !strings.Contains(got, "<Hangup/>") {
		t.Errorf("asked again: %s", got)
	}
}
