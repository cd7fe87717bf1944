package replay

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBlindCorpora replays the corpora written blind — by someone who had
// not read the engine, for agents it was never tuned on — and holds the
// line: every call passes except those its known-failing.txt lists, and a
// listed call that starts passing must be taken off the list. The figures
// of BENCHMARKS.md ("Understanding callers the engine was never tuned
// for") come from these directories.
func TestBlindCorpora(t *testing.T) {
	dirs, err := filepath.Glob("../configs/blind/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no blind corpora: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			known := knownFailing(t, filepath.Join(dir, "known-failing.txt"))
			files, err := Files([]string{filepath.Join(dir, "calls")})
			if err != nil || len(files) == 0 {
				t.Fatalf("no calls in %s: %v", dir, err)
			}
			for _, k := range known {
				if _, err := os.Stat(filepath.Join(dir, k)); err != nil {
					t.Errorf("known-failing.txt lists %s: %v", k, err)
				}
			}
			r := &Runner{}
			passed := 0
			for _, f := range files {
				rel, _ := filepath.Rel(dir, f)
				rel = filepath.ToSlash(rel)
				res := r.RunFile(context.Background(), f)
				if res.Err != nil {
					t.Errorf("%s: %v", rel, res.Err)
					continue
				}
				switch listed := slices.Contains(known, rel); {
				case res.Passed && listed:
					t.Errorf("%s passes now: take it off known-failing.txt", rel)
				case !res.Passed && !listed:
					var buf bytes.Buffer
					WriteText(&buf, []Result{res}, false)
					t.Errorf("%s", buf.String())
				}
				if res.Passed {
					passed++
				}
			}
			t.Logf("%s: %d of %d calls pass", filepath.Base(dir), passed, len(files))
		})
	}
}

// knownFailing reads a known-failing.txt: one path per line, relative to
// the corpus, "#" comments.
func knownFailing(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
