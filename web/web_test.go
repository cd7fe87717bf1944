package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// get serves one request through Register's routes, as the server will.
func get(t *testing.T, method, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux)
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

// asset reads an embedded file (path under assets/).
func asset(t *testing.T, name string) string {
	t.Helper()
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// routes lists every embedded asset's route.
func routes(t *testing.T) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		r := strings.TrimPrefix(p, "assets")
		if r == "/index.html" {
			r = "/"
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEveryAssetIsServedWithItsTypeAndPolicy(t *testing.T) {
	want := map[string]string{".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
	all := routes(t)
	for _, r := range []string{"/", "/embed.js", "/static/app.js", "/static/app.css"} {
		if !slices.Contains(all, r) {
			t.Errorf("no asset at %s", r)
		}
	}
	for _, r := range all {
		ext := path.Ext(r)
		if r == "/" {
			ext = ".html"
		}
		w := get(t, "GET", r)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: %d", r, w.Code)
			continue
		}
		h := w.Header()
		if ct := h.Get("Content-Type"); want[ext] == "" || !strings.HasPrefix(ct, want[ext]) {
			t.Errorf("GET %s: Content-Type %q, want %q (an asset of a new kind needs a type in contentTypes and here)", r, ct, want[ext])
		}
		policy := h.Get("Content-Security-Policy")
		for _, p := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self';", "connect-src 'self'", "media-src 'self'", "base-uri 'none'", "frame-ancestors"} {
			if !strings.Contains(policy, p) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", r, policy, p)
			}
		}
		if strings.Contains(policy, "unsafe") || strings.Contains(policy, "http") {
			t.Errorf("GET %s: Content-Security-Policy %q allows more than this server", r, policy)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") == "" || h.Get("ETag") == "" {
			t.Errorf("GET %s: headers %v", r, h)
		}
		if w.Body.Len() == 0 {
			t.Errorf("GET %s: empty", r)
		}
		// Revalidation is a 304 without a body; HEAD has the headers only.
		if w2 := get(t, "GET", r, "If-None-Match", h.Get("ETag")); w2.Code != http.StatusNotModified || w2.Body.Len() != 0 {
			t.Errorf("GET %s with its ETag: %d, %d bytes", r, w2.Code, w2.Body.Len())
		}
		if w2 := get(t, "HEAD", r); w2.Code != http.StatusOK || w2.Body.Len() != 0 || w2.Header().Get("Content-Type") != h.Get("Content-Type") {
			t.Errorf("HEAD %s: %d, %d bytes", r, w2.Code, w2.Body.Len())
		}
	}
}

func TestCaching(t *testing.T) {
	if cc := get(t, "GET", "/").Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("page: Cache-Control %q", cc)
	}
	if cc := get(t, "GET", "/static/app.js").Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("module: Cache-Control %q (modules import each other by fixed names: revalidate)", cc)
	}
	h := get(t, "GET", "/embed.js").Header()
	if h.Get("Cache-Control") != "public, max-age=300" || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
		t.Errorf("embed.js: %v", h)
	}
}

func TestFramingAndEmbedMode(t *testing.T) {
	w := get(t, "GET", "/?agent=clinica-central")
	if p := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(p, "frame-ancestors 'none'") {
		t.Errorf("page: %q", p)
	}
	if strings.Contains(w.Body.String(), `class="embed"`) {
		t.Error("page marked embedded")
	}
	e := get(t, "GET", "/?agent=clinica-central&embed=1&token=abc")
	if p := e.Header().Get("Content-Security-Policy"); !strings.HasSuffix(p, "frame-ancestors *") {
		t.Errorf("embed page: %q", p)
	}
	if !strings.Contains(e.Body.String(), `<body class="embed">`) {
		t.Error("embed page not marked embedded")
	}
	if e.Header().Get("ETag") == w.Header().Get("ETag") {
		t.Error("the two pages share an ETag")
	}
	if rp := e.Header().Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("Referrer-Policy %q: the page's address holds the token", rp)
	}
}

func TestOtherPathsAndMethods(t *testing.T) {
	for _, p := range []string{"/index.html", "/static/", "/static/nope.js", "/static/../embed.js", "/assets/embed.js", "/web.go"} {
		if w := get(t, "GET", p); w.Code == http.StatusOK {
			t.Errorf("GET %s: %d", p, w.Code)
		}
	}
	// Through Handler alone (mounted at the root), a POST is refused.
	w := httptest.NewRecorder()
	Handler().ServeHTTP(w, httptest.NewRequest("POST", "/", nil))
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d %v", w.Code, w.Header())
	}
	w = httptest.NewRecorder()
	Handler().ServeHTTP(w, httptest.NewRequest("GET", "/v1/web/config", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /v1/web/config through Handler: %d", w.Code)
	}
}

// contractIDs are the ids app.js's header promises a browser test.
var contractIDs = []string{
	"agent", "agent-custom", "call", "hangup", "mute", "mic", "mic-level", "agent-level", "agent-state",
	"status", "error", "speech-mode", "remote-audio", "text-form", "text", "send", "talk", "keypad", "keypad-box",
	"transcript", "fields", "services", "latency", "call-id", "save",
}

var idAttr = regexp.MustCompile(`\sid="([^"]+)"`)

func pageIDs(t *testing.T) map[string]bool {
	ids := map[string]bool{}
	for _, m := range idAttr.FindAllStringSubmatch(get(t, "GET", "/").Body.String(), -1) {
		if ids[m[1]] {
			t.Errorf("id %q twice in the page", m[1])
		}
		ids[m[1]] = true
	}
	return ids
}

func TestPageHasTheTestContractIDs(t *testing.T) {
	ids := pageIDs(t)
	for _, id := range contractIDs {
		if !ids[id] {
			t.Errorf("the page has no id %q", id)
		}
	}
	// The contract is written at the top of app.js: every #id there is in
	// the page, and every contract id is written there.
	app := asset(t, "static/app.js")
	header := app[:strings.Index(app, "\nimport ")]
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`#([a-z][a-z-]*)`).FindAllStringSubmatch(header, -1) {
		documented[m[1]] = true
		if !ids[m[1]] {
			t.Errorf("app.js documents #%s, which the page lacks", m[1])
		}
	}
	for _, id := range contractIDs {
		if !documented[id] {
			t.Errorf("app.js's header does not document #%s", id)
		}
	}
	for _, d := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"} {
		if !strings.Contains(get(t, "GET", "/").Body.String(), `data-digit="`+d+`"`) {
			t.Errorf("no keypad button for %s", d)
		}
	}
	if !strings.Contains(header, "window.voiceagentPage") {
		t.Error("app.js's header does not describe window.voiceagentPage")
	}
}

// TestScriptsFindTheirElements: every element a module looks up by id
// ($("x") or getElementById("x")) is in the page.
func TestScriptsFindTheirElements(t *testing.T) {
	ids := pageIDs(t)
	lookup := regexp.MustCompile(`(?:\$|getElementById)\("([^"]+)"\)`)
	found := 0
	for _, name := range staticFiles(t, ".js") {
		for _, m := range lookup.FindAllStringSubmatch(asset(t, name), -1) {
			found++
			if !ids[m[1]] {
				t.Errorf("%s looks up #%s, which the page lacks", name, m[1])
			}
		}
	}
	if found < 20 {
		t.Errorf("found only %d lookups: the pattern no longer matches the code", found)
	}
}

// staticFiles lists the names (under assets/) of static files ending in ext.
func staticFiles(t *testing.T, ext string) []string {
	t.Helper()
	var out []string
	for _, r := range routes(t) {
		if strings.HasPrefix(r, StaticPath) && strings.HasSuffix(r, ext) {
			out = append(out, strings.TrimPrefix(r, "/"))
		}
	}
	return out
}

// importSpec finds module specifiers: import … from "x", import "x",
// export … from "x", import("x").
var importSpec = regexp.MustCompile(`(?m)(?:^\s*(?:import|export)\b[^;"']*?\bfrom\s*|^\s*import\s*|\bimport\(\s*)["']([^"']+)["']`)

// TestModulesResolve: every module the page loads, and every module those
// import, is embedded; nothing comes from elsewhere (no CDN).
func TestModulesResolve(t *testing.T) {
	page := get(t, "GET", "/").Body.String()
	served := routes(t)
	var queue []string
	for _, m := range regexp.MustCompile(`<script\b[^>]*>`).FindAllString(page, -1) {
		src := regexp.MustCompile(`\ssrc="([^"]+)"`).FindStringSubmatch(m)
		if src == nil {
			t.Errorf("inline script %s: the policy forbids it", m)
			continue
		}
		if !strings.Contains(m, `type="module"`) {
			t.Errorf("%s: the page's scripts are modules", m)
		}
		queue = append(queue, src[1])
	}
	for _, m := range regexp.MustCompile(`<link\b[^>]*\shref="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !slices.Contains(served, m[1]) {
			t.Errorf("the page links %s, which is not served", m[1])
		}
	}
	if len(queue) == 0 {
		t.Fatal("the page loads no module")
	}
	seen := map[string]bool{}
	imports := 0
	for len(queue) > 0 {
		mod := queue[0]
		queue = queue[1:]
		if seen[mod] {
			continue
		}
		seen[mod] = true
		if !slices.Contains(served, mod) {
			t.Errorf("module %s is not embedded", mod)
			continue
		}
		for _, m := range importSpec.FindAllStringSubmatch(asset(t, strings.TrimPrefix(mod, "/")), -1) {
			imports++
			spec := m[1]
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				t.Errorf("%s imports %q: only relative imports of embedded files", mod, spec)
				continue
			}
			queue = append(queue, path.Join(path.Dir(mod), spec))
		}
	}
	if imports < 5 {
		t.Errorf("found only %d imports: the pattern no longer matches the code", imports)
	}
	for _, name := range staticFiles(t, ".js") {
		if !seen["/"+name] {
			t.Errorf("%s is embedded but no module imports it", name)
		}
	}
}

func TestImportPattern(t *testing.T) {
	src := "import { a, b } from \"./a.js\";\nimport * as c from './c.js';\nimport \"./side.js\";\nexport { x } from \"./x.js\";\n" +
		"import {\n  multi,\n  line,\n} from \"./multi.js\";\nconst m = await import(\"./lazy.js\");\n// important: not \"./no.js\"\n"
	var got []string
	for _, m := range importSpec.FindAllStringSubmatch(src, -1) {
		got = append(got, m[1])
	}
	want := []string{"./a.js", "./c.js", "./side.js", "./x.js", "./multi.js", "./lazy.js"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestNoInlineCodeOrRemoteResources: what the policy would block, or what
// would need the internet, is not in the page.
func TestNoInlineCodeOrRemoteResources(t *testing.T) {
	page := asset(t, "index.html")
	if m := regexp.MustCompile(`\s(on[a-z]+|style)=`).FindString(page); m != "" {
		t.Errorf("the page has an inline %q attribute", m)
	}
	if strings.Contains(page, "<style") || strings.Contains(page, "://") {
		t.Error("the page has a <style> element or an absolute URL")
	}
	for _, name := range staticFiles(t, ".css") {
		css := asset(t, name)
		if strings.Contains(css, "://") || strings.Contains(css, "@import") {
			t.Errorf("%s loads something", name)
		}
	}
	literal := regexp.MustCompile("[\"'`]https?://")
	for _, name := range staticFiles(t, ".js") {
		if literal.MatchString(asset(t, name)) {
			t.Errorf("%s has an absolute URL", name)
		}
	}
}

// TestEmbedBuildsTheFrameURL reads embed.js's URL construction (the node
// test below runs it): the page on the script's own origin, the agent,
// embed=1, the token when there is one, and the iframe's permissions.
func TestEmbedBuildsTheFrameURL(t *testing.T) {
	js := asset(t, "embed.js")
	for _, want := range []string{
		`script.getAttribute("data-agent")`,
		`script.getAttribute("data-token")`,
		`new URL(scriptSrc, document.baseURI).origin`,
		`q.set("agent", agent);`,
		`q.set("embed", "1");`,
		`if (token) q.set("token", token);`,
		`return origin + "/?" + q.toString();`,
		`frame.src = frameURL(script.src, agent, token);`,
		`frame.allow = "microphone; autoplay";`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("embed.js lacks %s", want)
		}
	}
}

// node finds node, or skips.
func node(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	return p
}

// unpack writes the assets to a directory as ES modules (package.json
// says so), for node.
func unpack(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, sub); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"type":"module"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestNodeChecksSyntax(t *testing.T) {
	bin := node(t)
	dir := unpack(t)
	for _, r := range routes(t) {
		if path.Ext(r) != ".js" {
			continue
		}
		if out, err := exec.Command(bin, "--check", filepath.Join(dir, filepath.FromSlash(r))).CombinedOutput(); err != nil {
			t.Errorf("node --check %s: %v\n%s", r, err, out)
		}
	}
}

// TestNodeRunsTheScripts runs testdata's node tests against the embedded
// assets: the call model, the codec order, the error sentences, and
// embed.js in a fake document.
func TestNodeRunsTheScripts(t *testing.T) {
	bin := node(t)
	dir := unpack(t)
	for _, script := range []string{"model_test.mjs", "embed_test.mjs"} {
		abs, err := filepath.Abs(filepath.Join("testdata", script))
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, abs, dir).CombinedOutput()
		if err != nil {
			t.Errorf("node %s: %v\n%s", script, err, out)
		} else if !strings.Contains(string(out), "ok") {
			t.Errorf("node %s said: %s", script, out)
		}
	}
}
