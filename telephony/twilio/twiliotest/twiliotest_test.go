package twiliotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voiceagent/voiceagent/telephony/audio"
	"github.com/voiceagent/voiceagent/telephony/twilio"
)

func TestStart(t *testing.T) {
	s := newServer(t, false)
	h := http.Header{"X-Twilio-Signature": {"sig"}}
	c, sc := dial(t, s, Config{Parameters: map[string]string{"agent": "clinica", "from": "+51987654321"}, Header: h})
	evs := sc.wait(t, "3 media", func(evs []received) bool { return count(evs, "media") >= 3 })

	if got := sc.header.Get("X-Twilio-Signature"); got != "sig" {
		t.Errorf("handshake header = %q", got)
	}
	if evs[0].raw != `{"event":"connected","protocol":"Call","version":"1.0.0"}` {
		t.Errorf("first message = %s", evs[0].raw)
	}
	st := evs[1].ev
	if st.Event != "start" || st.SequenceNumber != "1" || st.StreamSid != c.StreamSid() {
		t.Fatalf("second message = %s", evs[1].raw)
	}
	for _, id := range []struct{ got, prefix string }{{st.StreamSid, "MZ"}, {st.Start.CallSid, "CA"}, {st.Start.AccountSid, "AC"}} {
		if !strings.HasPrefix(id.got, id.prefix) || len(id.got) != 34 {
			t.Errorf("sid %q: want %s and 32 hex digits", id.got, id.prefix)
		}
	}
	if st.Start.StreamSid != c.StreamSid() || st.Start.CallSid != c.CallSid() || st.Start.AccountSid != c.AccountSid() {
		t.Errorf("start = %+v, client has %s %s %s", st.Start, c.StreamSid(), c.CallSid(), c.AccountSid())
	}
	if want := (twilio.MediaFormat{Encoding: "audio/x-mulaw", SampleRate: 8000, Channels: 1}); st.Start.MediaFormat != want {
		t.Errorf("mediaFormat = %+v", st.Start.MediaFormat)
	}
	if len(st.Start.Tracks) != 1 || st.Start.Tracks[0] != "inbound" {
		t.Errorf("tracks = %v", st.Start.Tracks)
	}
	if p := st.Start.CustomParameters; len(p) != 2 || p["agent"] != "clinica" || p["from"] != "+51987654321" {
		t.Errorf("customParameters = %v", p)
	}

	// Then media: sequence numbers on from start's, chunks from 1,
	// timestamps increasing, silence while the caller says nothing.
	lastTS := -1
	for i, r := range evs[2:5] {
		m := r.ev
		if m.Event != "media" || m.StreamSid != c.StreamSid() || m.Media.Track != "inbound" {
			t.Fatalf("message %d = %s", i+2, r.raw)
		}
		if m.SequenceNumber != strconv.Itoa(i+2) || m.Media.Chunk != strconv.Itoa(i+1) {
			t.Errorf("message %d: sequenceNumber %s, chunk %s", i+2, m.SequenceNumber, m.Media.Chunk)
		}
		ts, err := strconv.Atoi(m.Media.Timestamp)
		if err != nil || ts <= lastTS {
			t.Errorf("message %d: timestamp %q after %d", i+2, m.Media.Timestamp, lastTS)
		}
		lastTS = ts
	}
	for i, f := range frames(t, evs) {
		if !bytes.Equal(f, silence) {
			t.Errorf("frame %d is not 160 bytes of silence: % x", i, f)
		}
	}
	// The fast path agrees with encoding/json on the shape of media.
	var ev twilio.Event
	if err := json.Unmarshal([]byte(evs[2].raw), &ev); err != nil {
		t.Fatal(err)
	}
	if want := string(marshal(ev)); evs[2].raw != want {
		t.Errorf("media =\n%s\nencoding/json writes\n%s", evs[2].raw, want)
	}
}

func TestDialRefused(t *testing.T) {
	s := httptestStatus(t, http.StatusForbidden)
	_, err := Dial(testCtx(t), "ws"+strings.TrimPrefix(s, "http"), Config{})
	if !errors.Is(err, websocket.ErrBadHandshake) || !strings.Contains(err.Error(), "403") {
		t.Errorf("err = %v", err)
	}
	if _, err := Dial(testCtx(t), "ws://127.0.0.1:1", Config{StreamSid: `MZ"`}); err == nil {
		t.Error("a streamSid with a quote was accepted")
	}
}

func TestPacing(t *testing.T) {
	s := newServer(t, false)
	before := time.Now()
	c, sc := dial(t, s, Config{})
	evs := sc.wait(t, "50 media", func(evs []received) bool { return count(evs, "media") >= 50 })
	// Frame n is due 20n ms after the first: the 50th cannot come before
	// 980 ms. The upper bound only says the pacing did not stall.
	if d := evs[len(evs)-1].at.Sub(before); d < 980*time.Millisecond || d > 10*time.Second {
		t.Errorf("50 frames in %v", d)
	}
	if st := c.Stats(); st.FramesSent < 50 || st.SpeechFrames != 0 || st.Pacer.Frames < 50 {
		t.Errorf("stats = %+v", st)
	}
}

func TestSay(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	ctx := testCtx(t)
	sc.wait(t, "media", func(evs []received) bool { return count(evs, "media") >= 1 })

	a, b, b2 := Sine(440, 300*time.Millisecond), Sine(1000, 110*time.Millisecond), Sine(2000, 15*time.Millisecond)
	ua := c.Say(a)
	if ua.Duration() != 300*time.Millisecond {
		t.Errorf("duration = %v", ua.Duration())
	}
	if err := ua.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// Frame n is due 20n ms after the first was due; the first may have
	// been released up to 100 ms late (the Pacer's MaxLag). A burst would
	// take no time at all.
	if d := ua.LastFrame().Sub(ua.FirstFrame()); d < 14*20*time.Millisecond-100*time.Millisecond {
		t.Errorf("15 frames sent in %v", d)
	}
	// Silence after it, until the next utterance; two queued together
	// follow each other without a gap.
	n := count(sc.wait(t, "silence", func(evs []received) bool {
		f := frames(t, evs)
		return bytes.Equal(f[len(f)-1], silence) && c.Stats().SpeechFrames == 15
	}), "media")
	ub, ub2 := c.Say(b), c.Say(b2)
	if err := ub2.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if ub2.FirstFrame().Before(ub.LastFrame()) || ub.FirstFrame().Before(ua.LastFrame()) {
		t.Error("utterances sent out of order")
	}
	evs := sc.wait(t, "silence after b", func(evs []received) bool {
		return count(evs, "media") > n+8 && bytes.Equal(frames(t, evs)[count(evs, "media")-1], silence)
	})

	// The caller's stream: silence, a, silence, b then b2, silence.
	var segs []string
	var speech [][]byte
	for _, f := range frames(t, evs) {
		kind := "silence"
		if !bytes.Equal(f, silence) {
			kind = "speech"
			speech = append(speech, f)
		}
		if len(segs) == 0 || segs[len(segs)-1] != kind {
			segs = append(segs, kind)
		}
	}
	if got := strings.Join(segs, " "); got != "silence speech silence speech silence" {
		t.Errorf("stream = %s", got)
	}
	want := audio.EncodeUlaw(nil, a)
	want = audio.EncodeUlaw(want, b)
	want = append(want, bytes.Repeat([]byte{0xFF}, 160-len(b)%160)...) // b padded to whole frames
	want = audio.EncodeUlaw(want, b2)
	want = append(want, bytes.Repeat([]byte{0xFF}, 160-len(b2)%160)...)
	if got := bytes.Join(speech, nil); len(got) != 22*160 || !bytes.Equal(got, want) {
		t.Errorf("speech sent: %d bytes, want %d and the same", len(got), len(want))
	}
	if st := c.Stats(); st.SpeechFrames != 15+6+1 {
		t.Errorf("speech frames = %d", st.SpeechFrames)
	}
}

func TestMarksAfterPlayback(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	ctx := testCtx(t)

	sc.sendMark(t, "before") // nothing buffered: echoed at once
	sc.wait(t, "echo of before", func(evs []received) bool { return count(evs, "mark") == 1 })
	tone := Sine(440, time.Second)
	sc.sendMedia(t, tone)
	sc.sendMark(t, "after")
	evs := sc.wait(t, "echo of after", func(evs []received) bool { return count(evs, "mark") == 2 })

	var names []string
	lastSeq := 0
	for _, r := range evs {
		seq, _ := strconv.Atoi(r.ev.SequenceNumber)
		if r.ev.Event != "connected" && seq != lastSeq+1 {
			t.Errorf("%s: sequenceNumber %d after %d", r.ev.Event, seq, lastSeq)
		}
		if r.ev.Event != "connected" {
			lastSeq = seq
		}
		if r.ev.Event == "mark" {
			if r.ev.StreamSid != c.StreamSid() {
				t.Errorf("mark = %s", r.raw)
			}
			names = append(names, r.ev.Mark.Name)
		}
	}
	if strings.Join(names, ",") != "before,after" {
		t.Errorf("marks echoed: %v", names)
	}

	// The log: "after" was echoed once its second had played, and not
	// before a second had passed.
	echo, err := c.WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindEcho && e.Name == "after" })
	if err != nil {
		t.Fatal(err)
	}
	media, _ := c.WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindMedia })
	if echo.Played != 8000 {
		t.Errorf("played at the echo: %d, want 8000", echo.Played)
	}
	// 50 frames from the tick after the audio came, each due 20 ms after
	// the last; a first tick up to 100 ms late (the Pacer's MaxLag) would
	// shorten it. Echoing at once would take no time at all.
	if d := echo.At.Sub(media.At); d < 800*time.Millisecond {
		t.Errorf("echoed %v after its audio came", d)
	}
	var kinds []string
	for _, e := range c.Entries() {
		kinds = append(kinds, string(e.Kind)+":"+e.Name)
	}
	if got := strings.Join(kinds, " "); got != "mark:before echo:before media: mark:after echo:after" {
		t.Errorf("log = %s", got)
	}

	played := c.Played()
	if len(played) != 8000 {
		t.Fatalf("played %d samples", len(played))
	}
	if p := Tone(played, 8000, 440); p < 0.9 {
		t.Errorf("440 Hz in what was played: %.3f", p)
	}
	if p := Tone(played, 8000, 1000); p > 0.01 {
		t.Errorf("1000 Hz in what was played: %.3f", p)
	}
	st := c.Stats()
	if st.MediaReceived != 1 || st.BytesReceived != 8000 || st.MarksReceived != 2 || st.MarksEchoed != 2 || st.PlayedSamples != 8000 {
		t.Errorf("stats = %+v", st)
	}
}

func TestClear(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	ctx := testCtx(t)

	sc.sendMedia(t, Sine(440, 5*time.Second))
	sc.sendMark(t, "a")
	sc.sendMedia(t, Sine(440, 5*time.Second))
	sc.sendMark(t, "b")
	// Once everything has come, clear: both marks come back at once.
	if _, err := c.WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindMark && e.Name == "b" }); err != nil {
		t.Fatal(err)
	}
	sc.sendClear(t)
	cl, err := c.WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindClear })
	if err != nil {
		t.Fatal(err)
	}
	evs := sc.wait(t, "echoes", func(evs []received) bool { return count(evs, "mark") == 2 })
	var names []string
	for _, r := range evs {
		if r.ev.Event == "mark" {
			names = append(names, r.ev.Mark.Name)
		}
	}
	if strings.Join(names, ",") != "a,b" {
		t.Errorf("echoes = %v", names)
	}
	entries := c.Entries()
	tail := entries[len(entries)-3:]
	if tail[0].Kind != KindClear || tail[1].Kind != KindEcho || tail[2].Kind != KindEcho || tail[2].Name != "b" || tail[2].At != cl.At {
		t.Errorf("log ends %+v", tail)
	}
	// Everything received was either played or dropped.
	st := c.Stats()
	if st.Dropped == 0 || st.Dropped != int64(cl.Dropped) || st.PlayedSamples+st.Dropped != 80000 {
		t.Errorf("played %d + dropped %d (%d in the entry), want 80000", st.PlayedSamples, st.Dropped, cl.Dropped)
	}
	if err := c.WaitQuiet(ctx, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	played := c.Stats().PlayedSamples

	// Playback resumes with the next audio.
	sc.sendMedia(t, Sine(1000, 200*time.Millisecond))
	sc.sendMark(t, "c")
	echo, err := c.WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindEcho && e.Name == "c" })
	if err != nil {
		t.Fatal(err)
	}
	if echo.Played != played+1600 {
		t.Errorf("c echoed at %d played, want %d", echo.Played, played+1600)
	}
	if p := Tone(c.Played()[int(played):], 8000, 1000); p < 0.9 {
		t.Errorf("1000 Hz after the clear: %.3f", p)
	}
}

func TestWaitQuiet(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	ctx := testCtx(t)
	sc.sendMedia(t, Sine(440, 100*time.Millisecond))
	if _, err := c.WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindMedia }); err != nil {
		t.Fatal(err)
	}
	sc.sendMedia(t, Sine(440, 200*time.Millisecond))
	if err := c.WaitQuiet(ctx, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.PlayedSamples != 2400 {
		t.Errorf("quiet after %d samples played, want 2400", st.PlayedSamples)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	sc.sendMedia(t, Sine(440, time.Second))
	if _, err := c.WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindMedia && e.Messages == 3 }); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitQuiet(short, time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitQuiet while playing: %v", err)
	}
}

func TestKeepPlayed(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{KeepPlayed: 100 * time.Millisecond})
	for _, hz := range []float64{440, 1000, 2000} {
		sc.sendMedia(t, Sine(hz, 100*time.Millisecond))
	}
	if _, err := c.WaitEntry(testCtx(t), func(e Entry) bool { return e.Kind == KindMedia && e.Messages == 3 }); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitQuiet(testCtx(t), 0); err != nil {
		t.Fatal(err)
	}
	played := c.Played()
	if len(played) != 800 || Tone(played, 8000, 2000) < 0.9 {
		t.Errorf("kept %d samples, %.3f of them at 2000 Hz", len(played), Tone(played, 8000, 2000))
	}
	if st := c.Stats(); st.PlayedSamples != 2400 {
		t.Errorf("played %d", st.PlayedSamples)
	}
}

func TestDTMF(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	sc.streamSid(t)
	for _, d := range []string{"5", "#"} {
		if err := c.DTMF(d); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"", "55", "x"} {
		if err := c.DTMF(bad); !errors.Is(err, ErrDigit) {
			t.Errorf("DTMF(%q) = %v", bad, err)
		}
	}
	evs := sc.wait(t, "dtmf", func(evs []received) bool { return count(evs, "dtmf") == 2 })
	var digits string
	for _, r := range evs {
		if r.ev.Event == "dtmf" {
			if r.ev.StreamSid != c.StreamSid() || r.ev.DTMF.Track != "inbound_track" || r.ev.SequenceNumber == "" {
				t.Errorf("dtmf = %s", r.raw)
			}
			digits += r.ev.DTMF.Digit
		}
	}
	if digits != "5#" {
		t.Errorf("digits = %q", digits)
	}
}

func TestBadServerMessages(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	sid := sc.streamSid(t)
	for _, m := range []string{
		`not json`,
		`{"event":"play","streamSid":"` + sid + `"}`,
		`{"event":"media","streamSid":"MZother","media":{"payload":"//8="}}`,
		`{"event":"clear"}`,
		`{"event":"mark","streamSid":"` + sid + `"}`,
		`{"event":"media","streamSid":"` + sid + `","media":{"payload":"!!"}}`,
	} {
		sc.send([]byte(m))
	}
	sc.wmu.Lock()
	sc.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
	sc.wmu.Unlock()
	sc.sendMark(t, "sync")
	if _, err := c.WaitEntry(testCtx(t), func(e Entry) bool { return e.Kind == KindEcho && e.Name == "sync" }); err != nil {
		t.Fatal(err)
	}
	errs := c.Errors()
	want := []error{ErrBadMessage, ErrUnknownEvent, ErrWrongStream, ErrWrongStream, ErrBadMessage, ErrBadMessage, ErrBadMessage}
	if len(errs) != len(want) {
		t.Fatalf("errors = %v", errs)
	}
	for i, err := range errs {
		if !errors.Is(err, want[i]) {
			t.Errorf("error %d = %v, want %v", i, err, want[i])
		}
	}
	if st := c.Stats(); st.Errors != 7 || st.MediaReceived != 0 || st.Clears != 0 {
		t.Errorf("stats = %+v", st)
	}
	select {
	case <-c.Done():
		t.Error("bad messages ended the call")
	default:
	}
}

func TestServerCloses(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	sc.streamSid(t)
	u := c.Say(Sine(440, 10*time.Second))
	<-u.Started()
	sc.wmu.Lock()
	sc.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	sc.wmu.Unlock()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not end")
	}
	var ce *websocket.CloseError
	if err := c.Err(); !errors.Is(err, ErrDisconnected) || !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Errorf("Err = %v", err)
	}
	if err := u.Wait(testCtx(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("the utterance cut short: %v", err)
	}
	if err := c.Say(Sine(440, time.Second)).Wait(testCtx(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Say after the end: %v", err)
	}
	if err := c.DTMF("1"); !errors.Is(err, ErrClosed) {
		t.Errorf("DTMF after the end: %v", err)
	}
	if err := c.WaitQuiet(testCtx(t), time.Second); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitQuiet after the end: %v", err)
	}
	if _, err := c.WaitEntry(testCtx(t), func(Entry) bool { return false }); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitEntry after the end: %v", err)
	}
	if err := c.Hangup(); !errors.Is(err, ErrClosed) {
		t.Errorf("Hangup after the end: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}

func TestHangup(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	sc.streamSid(t)
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Hangup returned before the end")
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err after Hangup = %v", err)
	}
	if err := sc.waitEnd(t); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("server read: %v", err)
	}
	evs := sc.wait(t, "stop", func(evs []received) bool { return count(evs, "stop") == 1 })
	last := evs[len(evs)-1].ev
	if last.Event != "stop" || last.StreamSid != c.StreamSid() || last.Stop.CallSid != c.CallSid() || last.Stop.AccountSid != c.AccountSid() {
		t.Errorf("last message = %s", evs[len(evs)-1].raw)
	}
	if err := c.Hangup(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Hangup = %v", err)
	}
}

// TestEchoServer runs the client against a server that plays the caller's
// audio straight back, as a loopback test of our server might.
func TestEchoServer(t *testing.T) {
	s := newServer(t, true)
	c, _ := dial(t, s, Config{})
	ctx := testCtx(t)
	u := c.Say(Sine(440, 500*time.Millisecond))
	if err := u.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitQuiet(ctx, 60*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// Silence is echoed too; the tone is in there, whole.
	played := c.Played()
	var tone []int16
	for i := 0; i+160 <= len(played); i += 160 {
		if Tone(played[i:i+160], 8000, 440) > 0.5 {
			tone = append(tone, played[i:i+160]...)
		}
	}
	if len(tone) != 4000 {
		t.Errorf("%d samples of the tone came back, want 4000", len(tone))
	}
}

// TestNoGoroutinesLeft ends calls every way and checks that none of the
// client's goroutines outlives Close.
func TestNoGoroutinesLeft(t *testing.T) {
	s := newServer(t, true)
	ctx := testCtx(t)
	var cs []*Client
	var scs []*serverConn
	for range 6 {
		c, sc := dial(t, s, Config{})
		c.Say(Sine(440, 200*time.Millisecond))
		cs, scs = append(cs, c), append(scs, sc)
	}
	for _, sc := range scs {
		sc.wait(t, "media", func(evs []received) bool { return count(evs, "media") > 5 })
	}
	cs[0].Close()
	cs[1].Hangup()
	scs[2].ws.Close() // abrupt
	scs[3].wmu.Lock()
	scs[3].ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(time.Second))
	scs[3].wmu.Unlock()
	<-cs[2].Done()
	<-cs[3].Done()
	go cs[4].Close()
	cs[4].Close() // concurrent Closes
	cs[5].WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindMedia && e.Messages > 3 })
	cs[5].Close()
	for i, c := range cs {
		select {
		case <-c.Done():
		default:
			t.Errorf("client %d not done", i)
		}
	}
	if n := clientGoroutines(); n != 0 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines left:\n%s", n, buf[:runtime.Stack(buf, true)])
	}
}

// clientGoroutines counts the goroutines running a Client's code: the
// fake server's handlers, and the HTTP server's own, which come and go
// as connections are upgraded, are not counted.
func clientGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "twiliotest.(*Client)") {
			n++
		}
	}
	return n
}

func TestGoroutinesPerCall(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	sc.streamSid(t)
	// Ours are two: the reader and the sender.
	if n := clientGoroutines(); n > 2 {
		t.Errorf("%d goroutines per call", n)
	}
	c.Close()
}

func TestReadWAV(t *testing.T) {
	pcm, err := LoadWAV("testdata/tone1k-16k.wav")
	if err != nil {
		t.Fatal(err)
	}
	// 0.3 s at 16 kHz and 5 ms of flush, at 8 kHz.
	if len(pcm) != 2400+40 {
		t.Errorf("%d samples", len(pcm))
	}
	if p := Tone(pcm[40:2400], 8000, 1000); p < 0.9 {
		t.Errorf("1 kHz: %.3f", p)
	}
	var b bytes.Buffer
	audio.WriteWAV(&b, Sine(440, 100*time.Millisecond), 8000)
	if pcm, err := ReadWAV(&b); err != nil || len(pcm) != 800 {
		t.Errorf("8 kHz: %d samples, %v", len(pcm), err)
	}
	b.Reset()
	audio.WriteWAV(&b, Sine(440, 100*time.Millisecond), 11025)
	if _, err := ReadWAV(&b); !errors.Is(err, audio.ErrSampleRate) {
		t.Errorf("11025 Hz: %v", err)
	}
	if _, err := LoadWAV("testdata/missing.wav"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

func TestTone(t *testing.T) {
	for _, tc := range []struct {
		pcm  []int16
		hz   float64
		want func(float64) bool
	}{
		{Sine(440, time.Second), 440, func(p float64) bool { return p > 0.99 && p < 1.01 }},
		{Sine(440, time.Second), 450, func(p float64) bool { return p < 0.01 }},
		{Sine(1000, 20*time.Millisecond), 1000, func(p float64) bool { return p > 0.95 }},
		{make([]int16, 800), 440, func(p float64) bool { return p == 0 }},
		{nil, 440, func(p float64) bool { return p == 0 }},
	} {
		if p := Tone(tc.pcm, 8000, tc.hz); !tc.want(p) {
			t.Errorf("Tone(%d samples, %v Hz) = %.4f", len(tc.pcm), tc.hz, p)
		}
	}
}

// httptestStatus serves status to every request and returns its URL.
func httptestStatus(t *testing.T, status int) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", status) }))
	t.Cleanup(s.Close)
	return s.URL
}

// TestUnderruns: a gap inside audio (more media after the buffer ran dry,
// with no mark in between) counts; a gap between marked sentences does
// not.
func TestUnderruns(t *testing.T) {
	s := newServer(t, false)
	c, sc := dial(t, s, Config{})
	ctx := testCtx(t)
	media := int64(0)
	quiet := func() { // once the media sent has come and played out
		t.Helper()
		media++
		for c.Stats().MediaReceived < media {
			time.Sleep(time.Millisecond)
		}
		if err := c.WaitQuiet(ctx, 60*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}

	sc.sendMedia(t, Sine(440, 100*time.Millisecond))
	sc.sendMark(t, "one")
	quiet()
	sc.sendMedia(t, Sine(440, 100*time.Millisecond)) // a new sentence: no gap
	quiet()
	if n := c.Stats().Underruns; n != 0 {
		t.Fatalf("underruns after a marked sentence: %d", n)
	}
	sc.sendMedia(t, Sine(440, 100*time.Millisecond)) // the same sentence, late
	sc.sendMark(t, "two")
	quiet()
	if n := c.Stats().Underruns; n != 1 {
		t.Errorf("underruns after a gap mid-sentence: %d, want 1", n)
	}
}

// Calls on a shared Clock send and play as calls with their own do, with
// one goroutine each (the reader), and end the same ways.
func TestClock(t *testing.T) {
	s := newServer(t, false)
	ctx := testCtx(t)
	k := NewClock()
	var cs []*Client
	var scs []*serverConn
	for range 4 {
		c, sc := dial(t, s, Config{Clock: k})
		cs, scs = append(cs, c), append(scs, sc)
	}
	for _, sc := range scs {
		sc.streamSid(t)
	}
	// Ours are one per call: the reader (the Clock sends for all).
	if n := clientGoroutines(); n > len(cs) {
		t.Errorf("%d goroutines for %d calls", n, len(cs))
	}
	u := cs[0].Say(Sine(440, 200*time.Millisecond))
	if err := u.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if d := u.Duration(); d < 150*time.Millisecond { // paced, not sent at once
		t.Errorf("200 ms of speech took %v to send", d)
	}
	scs[1].sendMedia(t, Sine(440, 100*time.Millisecond))
	scs[1].sendMark(t, "m")
	if _, err := cs[1].WaitEntry(ctx, func(e Entry) bool { return e.Kind == KindEcho && e.Name == "m" }); err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		sc.wait(t, "media", func(evs []received) bool { return count(evs, "media") >= 10 })
	}
	cs[0].Close()
	cs[1].Hangup()
	scs[2].ws.Close() // abrupt
	<-cs[2].Done()
	k.Stop() // the last call stops sending, and closes as ever
	cs[3].Close()
	for i, c := range cs {
		select {
		case <-c.Done():
		default:
			t.Errorf("client %d not done", i)
		}
	}
	if st := cs[0].Stats(); st.Pacer.Frames == 0 || st.FramesSent < 10 {
		t.Errorf("stats %+v", st)
	}
}
