package tools

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voiceagent/voiceagent/configs"
)

// seedFixture is one file of testdata/seed: a fragment of the source document
// assembled into a service, with the behaviour the document describes.
type seedFixture struct {
	About   string          `json:"about"`
	Agent   json.RawMessage `json:"agent"`
	Service json.RawMessage `json:"service"`
	Cases   []struct {
		Name        string            `json:"name"`
		Now         string            `json:"now"`
		Fields      map[string]string `json:"fields"`
		WantBody    json.RawMessage   `json:"wantBody"`
		WantQuery   *string           `json:"wantQuery"`
		WantHeaders map[string]string `json:"wantHeaders"`
		Response    *struct {
			Status int             `json:"status"`
			Body   json.RawMessage `json:"body"`
		} `json:"response"`
		WantVars    map[string]json.RawMessage `json:"wantVars"`
		WantMessage *string                    `json:"wantMessage"`
	} `json:"cases"`
}

// seedAgent builds an agent file from a fixture, keeping the service's bytes
// (and so its key order) as written.
func seedAgent(t *testing.T, name string, fx *seedFixture) *Catalog {
	t.Helper()
	agent := bytes.TrimSpace(fx.Agent)
	var file []byte
	file = append(file, agent[:len(agent)-1]...)
	file = append(file, `, "services": [`...)
	file = append(file, fx.Service...)
	file = append(file, "]}"...)
	a, err := configs.Parse(name, file)
	if err != nil {
		t.Fatalf("the seed service does not load: %v", err)
	}
	cat, err := Compile(a)
	if err != nil {
		t.Fatalf("the seed service does not compile: %v", err)
	}
	return cat
}

func compact(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("invalid JSON %s: %v", raw, err)
	}
	return b.String()
}

func TestSeedFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/seed/*.json")
	if err != nil || len(files) < 19 {
		t.Fatalf("seed fixtures: %d files, %v", len(files), err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var fx seedFixture
			if err := json.Unmarshal(data, &fx); err != nil {
				t.Fatal(err)
			}
			cat := seedAgent(t, file, &fx)
			svc := cat.Services()[0]
			for _, c := range fx.Cases {
				now, err := time.Parse(time.RFC3339, c.Now)
				if err != nil && c.Now != "" {
					t.Fatalf("%s: now: %v", c.Name, err)
				}
				in := Input{Fields: c.Fields, CallID: "call-test-1", Now: now}
				checkSeedRequest(t, c.Name, svc, in, c.WantBody, c.WantQuery, c.WantHeaders)
				if c.Response == nil {
					continue
				}
				out := svc.Respond(in, Response{Status: c.Response.Status, Body: c.Response.Body})
				if c.WantVars != nil {
					got := map[string]string{}
					for _, v := range out.Vars {
						raw, _ := v.Value.MarshalJSON()
						got[v.Name] = compact(t, raw)
					}
					want := map[string]string{}
					for k, raw := range c.WantVars {
						want[k] = compact(t, raw)
					}
					if !equalMaps(got, want) {
						t.Errorf("%s: vars\n got %v\nwant %v", c.Name, got, want)
					}
				}
				if c.WantMessage != nil && out.Message != *c.WantMessage {
					t.Errorf("%s: message\n got %q\nwant %q (err %v)", c.Name, out.Message, *c.WantMessage, out.Err)
				}
			}
		})
	}
}

func checkSeedRequest(t *testing.T, name string, svc *Service, in Input, wantBody json.RawMessage, wantQuery *string, wantHeaders map[string]string) {
	t.Helper()
	if wantBody == nil && wantQuery == nil && wantHeaders == nil {
		return
	}
	req, err := svc.NewRequest(in)
	if err != nil {
		t.Errorf("%s: NewRequest: %v", name, err)
		return
	}
	if wantBody != nil {
		if got, want := string(req.Body), compact(t, wantBody); got != want {
			t.Errorf("%s: body\n got %s\nwant %s", name, got, want)
		}
	}
	if wantQuery != nil {
		u, err := url.Parse(req.URL)
		if err != nil {
			t.Fatal(err)
		}
		if u.RawQuery != *wantQuery {
			t.Errorf("%s: query\n got %s\nwant %s", name, u.RawQuery, *wantQuery)
		}
	}
	for k, want := range wantHeaders {
		if got := req.Header.Get(k); got != want {
			t.Errorf("%s: header %s = %q, want %q", name, k, got, want)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
