package tools

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
)

// clinicResponse is the seed document's sample answer of an appointment API.
const clinicResponse = `{"success": true, "response": {"status": "success"},
 "data": {"appointment": {"id": "apt_12345", "date": "2024-01-15", "time": "14:30", "doctor": "Dr. García", "status": "confirmed"},
          "patient": {"name": "Juan Pérez", "email": "juan@email.com"}},
 "message": "Cita agendada exitosamente"}`

var clinicFields = map[string]string{
	"nombre": "Juan Pérez", "email": "juan@email.com", "telefono": "987654321",
	"fecha": "2024-01-15", "hora": "14:30", "especialidad": "cardiología",
}

// clinicBooking compiles the embedded clinic's booking service, its endpoint
// moved to base when base is not empty.
func clinicBooking(tb testing.TB, base string) *Service {
	tb.Helper()
	agents, err := configs.LoadExamples()
	if err != nil {
		tb.Fatal(err)
	}
	for _, a := range agents {
		if a.Name != "clinica-central" {
			continue
		}
		if base != "" {
			a.Service("schedule_appointment").Endpoint = base + "/v1/appointments"
		}
		cat, err := Compile(a)
		if err != nil {
			tb.Fatal(err)
		}
		return cat.Service("schedule_appointment")
	}
	tb.Fatal("no clinica-central example")
	return nil
}

// BenchmarkClinicBooking renders the booking request, maps the seed's
// sample answer and picks the message by the conditions: everything but
// the network.
func BenchmarkClinicBooking(b *testing.B) {
	svc := clinicBooking(b, "")
	in := Input{Fields: clinicFields, CallID: "call-1", CallerNumber: "+51987654321", Now: time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)}
	resp := Response{Status: 201, Body: []byte(clinicResponse)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.NewRequest(in); err != nil {
			b.Fatal(err)
		}
		if out := svc.Respond(in, resp); out.Condition != 4 {
			b.Fatalf("condition %d: %s", out.Condition, out.Message)
		}
	}
}

// BenchmarkExecuteOverhead measures what Execute adds to an HTTP round trip:
// each iteration sends the booking through Execute, then the same bytes
// through a bare http.Client to the same keep-alive loopback server, and
// reports the median of both and their difference.
func BenchmarkExecuteOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		io.WriteString(w, clinicResponse)
	}))
	defer srv.Close()
	svc := clinicBooking(b, srv.URL)
	ex := &Executor{Logger: slog.New(slog.DiscardHandler)}
	in := Input{Fields: clinicFields, CallID: "call-1"}
	req, err := svc.NewRequest(in)
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	bare := func() {
		hreq, _ := http.NewRequest(req.Method, req.URL, bytes.NewReader(req.Body))
		hreq.Header = req.Header
		resp, err := client.Do(hreq)
		if err != nil {
			b.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	bare() // open the connections
	ex.Execute(context.Background(), svc, in)
	var viaExec, viaBare []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if res := ex.Execute(context.Background(), svc, in); res.Failed() {
			b.Fatal(res.Err)
		}
		t1 := time.Now()
		bare()
		viaExec = append(viaExec, t1.Sub(t0))
		viaBare = append(viaBare, time.Since(t1))
	}
	e, r := median(viaExec), median(viaBare)
	b.ReportMetric(float64(e.Microseconds()), "exec-p50-µs")
	b.ReportMetric(float64(r.Microseconds()), "bare-p50-µs")
	b.ReportMetric(float64((e - r).Microseconds()), "overhead-p50-µs")
}

// BenchmarkTimeoutOvershoot measures how long after a service's timeout
// the caller gets the fallback.
func BenchmarkTimeoutOvershoot(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a hang-up only after the body
		<-r.Context().Done()
	}))
	defer srv.Close()
	svc := clinicBooking(b, srv.URL)
	svc.Timeout = configs.Duration(100 * time.Millisecond)
	ex := &Executor{Logger: slog.New(slog.DiscardHandler)}
	in := Input{Fields: clinicFields}
	var over []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if res := ex.Execute(context.Background(), svc, in); !res.Failed() {
			b.Fatal("no timeout")
		}
		over = append(over, time.Since(t0)-100*time.Millisecond)
	}
	b.ReportMetric(float64(median(over).Microseconds())/1000, "overshoot-p50-ms")
	b.ReportMetric(float64(slices.Max(over).Microseconds())/1000, "overshoot-max-ms")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
