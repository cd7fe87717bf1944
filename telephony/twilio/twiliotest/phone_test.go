package twiliotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio"
)

// carrierFake is our server as a phone call sees it: the voice webhook,
// the stream and the <Connect> action, every request signed with token.
// stream runs the nth stream (from 1) once its start has arrived; after
// answers the nth action request with TwiML, or a 500 when it returns nil.
type carrierFake struct {
	*httptest.Server
	token  string
	voice  func() []byte // nil: connect to /stream with token=1
	stream func(n int, sc *phoneStream)
	after  func(n int) []byte

	mu      sync.Mutex
	streams []*phoneStream
	afters  []url.Values
	badSigs []string
}

// phoneStream is the server's end of one stream.
type phoneStream struct {
	ws    *websocket.Conn
	start twilio.Start
	got   chan twilio.Event // every message after start, until the end

	mu     sync.Mutex
	speech int // media frames that were not silence
}

func newCarrier(t *testing.T, token string) *carrierFake {
	f := &carrierFake{token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /voice", func(w http.ResponseWriter, r *http.Request) {
		if !f.signed(w, r) {
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		if f.voice != nil {
			w.Write(f.voice())
			return
		}
		w.Write(twilio.ConnectStream(f.wsURL()+"/stream", f.URL+"/after", map[string]string{"token": "1", "from": r.PostForm.Get("From")}))
	})
	mux.HandleFunc("POST /after", func(w http.ResponseWriter, r *http.Request) {
		if !f.signed(w, r) {
			return
		}
		f.mu.Lock()
		f.afters = append(f.afters, r.PostForm)
		n := len(f.afters)
		f.mu.Unlock()
		b := f.after(n)
		if b == nil {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Write(b)
	})
	up := websocket.Upgrader{}
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		if !f.signed(w, r) {
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		sc := &phoneStream{ws: ws, got: make(chan twilio.Event, 4096)}
		for sc.start.StreamSid == "" {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if ev, err := twilio.Parse(msg); err == nil && ev.Event == "start" {
				sc.start = *ev.Start
			}
		}
		f.mu.Lock()
		f.streams = append(f.streams, sc)
		n := len(f.streams)
		f.mu.Unlock()
		go sc.read()
		f.stream(n, sc)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *carrierFake) wsURL() string { return "ws" + strings.TrimPrefix(f.URL, "http") }

// signed checks X-Twilio-Signature as our server does, when it has a
// token, and answers 403 when it is wrong.
func (f *carrierFake) signed(w http.ResponseWriter, r *http.Request) bool {
	var form url.Values
	scheme := "http"
	if r.Method == http.MethodPost {
		r.ParseForm()
		form = r.PostForm
	} else {
		scheme = "ws"
	}
	if f.token == "" {
		return true
	}
	u := scheme + "://" + r.Host + r.URL.RequestURI()
	if twilio.ValidSignature(f.token, u, form, r.Header.Get("X-Twilio-Signature")) {
		return true
	}
	f.mu.Lock()
	f.badSigs = append(f.badSigs, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	http.Error(w, "bad signature", http.StatusForbidden)
	return false
}

// read records the caller's messages until the stream ends.
func (sc *phoneStream) read() {
	defer close(sc.got)
	for {
		_, msg, err := sc.ws.ReadMessage()
		if err != nil {
			return
		}
		ev, err := twilio.Parse(msg)
		if err != nil {
			continue
		}
		if ev.Event == "media" {
			if b, ok := twilio.ParseMedia(nil, msg); ok && !bytes.Equal(b, silence) {
				sc.mu.Lock()
				sc.speech++
				sc.mu.Unlock()
			}
		}
		sc.got <- ev
	}
}

// send sends d of the agent's audio (a tone) at once, in 100 ms messages.
func (sc *phoneStream) send(d time.Duration) error {
	ulaw := audio.EncodeUlaw(nil, Sine(440, d))
	for len(ulaw) > 0 {
		n := min(len(ulaw), 800)
		if err := sc.ws.WriteMessage(websocket.TextMessage, twilio.AppendMedia(nil, sc.start.StreamSid, ulaw[:n])); err != nil {
			return err
		}
		ulaw = ulaw[n:]
	}
	return nil
}

// drop breaks the connection, as a server that dies does: no close frame.
func (sc *phoneStream) drop() { sc.ws.UnderlyingConn().Close() }

// waitStop waits for the caller's stop, or the end of the stream.
func (sc *phoneStream) waitStop() bool {
	for ev := range sc.got {
		if ev.Event == "stop" {
			return true
		}
	}
	return false
}

func (sc *phoneStream) speechFrames() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.speech
}

func (f *carrierFake) ring(t *testing.T, token string) (*Phone, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := Ring(ctx, PhoneConfig{
		VoiceURL: f.URL + "/voice", AuthToken: token, From: "+34600000001", To: "+34910000000",
		Header: http.Header{"X-Forwarded-Proto": {"http"}},
	})
	if err == nil {
		t.Cleanup(func() { p.Hangup() })
	}
	return p, err
}

func (f *carrierFake) stream1() *phoneStream {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.streams[0]
}

// A stream that breaks mid-call is handed over: the action request gets
// a new <Connect>, whose stream carries on the same call; a stream the
// server closes later gets <Hangup/>.
func TestPhoneHandOver(t *testing.T) {
	f := newCarrier(t, "secret")
	secondDone := make(chan struct{})
	f.stream = func(n int, sc *phoneStream) {
		switch n {
		case 1: // the agent is speaking when the server dies
			sc.send(time.Second)
			time.Sleep(300 * time.Millisecond)
			sc.drop()
		case 2:
			time.Sleep(50 * time.Millisecond)
			sc.send(200 * time.Millisecond)
			<-secondDone
			sc.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			for range sc.got {
			}
		}
	}
	f.after = func(n int) []byte {
		if n == 1 {
			return twilio.ConnectStream(f.wsURL()+"/stream", f.URL+"/after", map[string]string{"token": "2"})
		}
		return twilio.Hangup()
	}
	p, err := f.ring(t, "secret")
	if err != nil {
		t.Fatal(err)
	}
	first := p.Stream()
	if first == nil || first.CallSid() != p.CallSid() {
		t.Fatalf("first stream %v", first)
	}
	u := first.Say(Sine(300, 3*time.Second)) // cut short by the drop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	second, err := p.Next(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || second.CallSid() != first.CallSid() || second.StreamSid() == first.StreamSid() {
		t.Fatalf("streams %s/%s then %s/%s", first.CallSid(), first.StreamSid(), second.CallSid(), second.StreamSid())
	}
	if err := u.Wait(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("the utterance of the dropped stream: %v", err)
	}
	if !errors.Is(first.Err(), ErrDisconnected) {
		t.Errorf("first stream's Err: %v", first.Err())
	}
	if _, err := second.WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindMedia }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)

	f.mu.Lock()
	starts := []twilio.Start{f.streams[0].start, f.streams[1].start}
	afters := f.afters
	f.mu.Unlock()
	if starts[0].CallSid != p.CallSid() || starts[1].CallSid != p.CallSid() || starts[0].AccountSid != starts[1].AccountSid {
		t.Errorf("starts: %+v", starts)
	}
	if starts[0].CustomParameters["token"] != "1" || starts[0].CustomParameters["from"] != "+34600000001" || starts[1].CustomParameters["token"] != "2" {
		t.Errorf("parameters: %v then %v", starts[0].CustomParameters, starts[1].CustomParameters)
	}
	if len(afters) != 1 {
		t.Fatalf("%d action requests", len(afters))
	}
	want := url.Values{"CallSid": {p.CallSid()}, "AccountSid": {starts[0].AccountSid}, "From": {"+34600000001"}, "To": {"+34910000000"}, "Direction": {"inbound"}, "CallStatus": {"in-progress"}}
	if fmt.Sprint(afters[0]) != fmt.Sprint(want) {
		t.Errorf("action form %v, want %v", afters[0], want)
	}
	f.mu.Lock()
	sc2 := f.streams[1]
	f.mu.Unlock()
	if n := sc2.speechFrames(); n != 0 {
		t.Errorf("the new stream got %d frames of speech queued on the old one", n)
	}

	hs := p.HandOvers()
	if len(hs) != 1 {
		t.Fatalf("hand-overs: %+v", hs)
	}
	h := hs[0]
	if h.From != first.StreamSid() || h.To != second.StreamSid() || !h.Playing {
		t.Errorf("hand-over %+v", h)
	}
	order := []time.Time{h.LastAudio, h.Dropped, h.Answered, h.Opened, h.FirstAudio}
	for i := 1; i < len(order); i++ {
		if order[i-1].IsZero() || order[i].Before(order[i-1]) {
			t.Errorf("hand-over times out of order: last audio, dropped, answered, opened, first audio = %v", order)
			break
		}
	}
	if s := h.Silence(); s != h.FirstAudio.Sub(h.LastAudio) || s <= 0 || s > 2*time.Second {
		t.Errorf("silence %v", s)
	}
	if d := h.Dropped.Sub(h.LastAudio); d < 250*time.Millisecond {
		t.Errorf("dropped %v after the last audio, want about 300 ms", d)
	}
	if o := p.Outcome(); o.End != "" {
		t.Errorf("outcome while the call goes on: %+v", o)
	}

	// The server closes the second stream: asked again, it hangs up.
	close(secondDone)
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not end")
	}
	if o := p.Outcome(); o.End != EndHangup || o.Err != nil || o.At.IsZero() {
		t.Errorf("outcome %+v", o)
	}
	if _, err := p.Next(ctx, second); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after the end: %v", err)
	}
	if err := p.Hangup(); !errors.Is(err, ErrClosed) {
		t.Errorf("Hangup after the end: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.afters) != 2 || len(f.badSigs) != 0 {
		t.Errorf("%d action requests, bad signatures on %v", len(f.afters), f.badSigs)
	}
}

// A caller who hangs up sends stop; no action request follows.
func TestPhoneCallerHangsUp(t *testing.T) {
	f := newCarrier(t, "secret")
	stopped := make(chan bool, 1)
	f.stream = func(_ int, sc *phoneStream) { stopped <- sc.waitStop() }
	f.after = func(int) []byte { return twilio.Hangup() }
	p, err := f.ring(t, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Hangup(); err != nil {
		t.Fatal(err)
	}
	if !<-stopped {
		t.Error("no stop")
	}
	if o := p.Outcome(); o.End != EndCaller {
		t.Errorf("outcome %+v", o)
	}
	time.Sleep(50 * time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.afters) != 0 {
		t.Errorf("%d action requests", len(f.afters))
	}
}

// A failing action request fails the call; so does a bad signature on
// the webhook, and <Dial> transfers it.
func TestPhoneEnds(t *testing.T) {
	for _, c := range []struct {
		name   string
		after  []byte
		end    End
		number string
	}{
		{"500", nil, EndFailed, ""},
		{"dial", twilio.Dial("+34910000001"), EndDial, "+34910000001"},
		{"garbage", []byte("<Response><Connect/></Response>"), EndFailed, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newCarrier(t, "secret")
			f.stream = func(_ int, sc *phoneStream) { sc.drop() } // nothing playing
			f.after = func(int) []byte { return c.after }
			p, err := f.ring(t, "secret")
			if err != nil {
				t.Fatal(err)
			}
			<-p.Done()
			o := p.Outcome()
			if o.End != c.end || o.Number != c.number {
				t.Errorf("outcome %+v", o)
			}
			if (c.end == EndFailed) != errors.Is(o.Err, ErrRequest) {
				t.Errorf("outcome's error %v", o.Err)
			}
			if len(p.HandOvers()) != 0 {
				t.Errorf("hand-overs %+v", p.HandOvers())
			}
		})
	}
	t.Run("signature", func(t *testing.T) {
		f := newCarrier(t, "secret")
		if _, err := f.ring(t, "wrong"); !errors.Is(err, ErrRequest) || !strings.Contains(err.Error(), "403") {
			t.Errorf("Ring with a bad signature: %v", err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		f := newCarrier(t, "secret")
		f.Close()
		if _, err := f.ring(t, "secret"); !errors.Is(err, ErrRequest) {
			t.Errorf("Ring with no server: %v", err)
		}
	})
}

// A webhook that answers <Say> and <Hangup/> ends the call at once.
func TestPhoneSayHangup(t *testing.T) {
	f := newCarrier(t, "")
	f.voice = func() []byte { return twilio.Say("Lo sentimos.", "es-ES") }
	p, err := f.ring(t, "")
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if o := p.Outcome(); o.End != EndHangup || len(o.Said) != 1 || o.Said[0] != "Lo sentimos." || p.Stream() != nil {
		t.Errorf("outcome %+v, stream %v", o, p.Stream())
	}
}

// With nothing playing at the drop, the silence counts from the drop.
func TestPhoneSilenceFromDrop(t *testing.T) {
	f := newCarrier(t, "")
	f.stream = func(n int, sc *phoneStream) {
		if n == 1 {
			sc.send(100 * time.Millisecond)
			time.Sleep(400 * time.Millisecond)
			sc.drop()
			return
		}
		time.Sleep(100 * time.Millisecond)
		sc.send(100 * time.Millisecond)
		sc.waitStop()
	}
	f.after = func(int) []byte {
		return twilio.ConnectStream(f.wsURL()+"/stream", f.URL+"/after", nil)
	}
	p, err := f.ring(t, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	second, err := p.Next(ctx, p.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindMedia }); err != nil {
		t.Fatal(err)
	}
	h := p.HandOvers()[0]
	if h.Playing || h.Silence() != h.FirstAudio.Sub(h.Dropped) || h.Silence() < 100*time.Millisecond {
		t.Errorf("hand-over %+v: silence %v", h, h.Silence())
	}
	if err := p.Hangup(); err != nil {
		t.Fatal(err)
	}
	if o := p.Outcome(); o.End != EndCaller {
		t.Errorf("outcome %+v", o)
	}
}
