package tools

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/voiceagent/voiceagent/configs"
)

// FuzzLoad runs what `voiceagent validate` runs on any file: it must never
// panic, every problem must be located in the file, and an agent without
// problems must satisfy the schema's promises.
func FuzzLoad(f *testing.F) {
	for _, name := range configs.ExampleNames() {
		data, err := os.ReadFile(filepath.Join("..", "configs", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"intent": "x", "endpoint": "https://a.example/{{id}}", "requiredFields": ["id"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := configs.Parse("fuzz.yaml", data)
		if a != nil {
			_, cerr := Compile(a)
			err = errors.Join(err, cerr)
		}
		if err != nil {
			if !errors.Is(err, configs.ErrInvalid) {
				t.Fatalf("error is not ErrInvalid: %v", err)
			}
			for _, p := range configs.AsProblems(err) {
				if p.File != "fuzz.yaml" {
					t.Fatalf("problem not located in the file: %+v", p)
				}
			}
			return
		}
		if a.Language != "es" && a.Language != "en" {
			t.Fatalf("valid agent with language %q", a.Language)
		}
		seen := map[string]bool{}
		for _, s := range a.AllServices() {
			if !slices.Contains(configs.Methods, s.Method) || seen[s.Intent] || s.Intent == "" || s.Timeout <= 0 {
				t.Fatalf("valid agent with service %+v", s)
			}
			seen[s.Intent] = true
		}
	})
}
