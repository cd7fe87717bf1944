// Package web serves the browser page that calls an agent over WebRTC and
// the one-line embed that puts it on a customer's site: static files
// embedded in the binary (plain HTML, CSS and JavaScript modules, no build
// step), each with its content type, an ETag, a Cache-Control and a strict
// Content-Security-Policy.
//
// The page talks to the rest of the server only over HTTP: GET
// /v1/web/config, POST /webrtc/offer, the call's events (GET
// /v1/calls/{id}/events, Server-Sent Events) and its transcript; this
// package serves none of those, and imports nothing of ours.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// Routes: the page, the embed script and the page's own files.
const (
	PagePath   = "/"
	EmbedPath  = "/embed.js"
	StaticPath = "/static/"
)

// csp is the policy of everything served: the page's scripts, styles,
// images and media come from this server only, it connects (fetch,
// EventSource) only to this server, and no inline script or style runs.
// WebRTC media is not governed by connect-src; the answer's ICE servers
// are.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self' blob: mediastream:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'"

// Framing: the page in embed mode (?embed=1) is meant to be framed by
// customers' sites; otherwise by none.
const (
	frameNone = "; frame-ancestors 'none'"
	frameAny  = "; frame-ancestors *"
)

// file is one asset, ready to serve.
type file struct {
	name  string // for http.ServeContent
	body  []byte
	ctype string
	etag  string
	cache string
}

// contentTypes by extension; an asset of any other kind is not served
// (the test keeps the list complete).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// Cache-Control: the page's own files are revalidated on every load (a
// 304 thanks to the ETag), so that modules importing each other by fixed
// names never mix two releases; embed.js, loaded by every page of a
// customer's site, is kept five minutes.
const (
	cacheRevalidate = "no-cache"
	cacheEmbed      = "public, max-age=300"
)

// Handler serves GET and HEAD of /, /embed.js and /static/NAME; any other
// path is not found. Mount it at the root of the server's mux, or use
// Register.
func Handler() http.Handler {
	files := loadFiles()
	return handler{files: files, embedPage: embedVariant(files[PagePath])}
}

// Register adds the page's routes to mux: GET / (exactly), GET
// /embed.js and GET /static/.
func Register(mux *http.ServeMux) {
	h := Handler()
	mux.Handle("GET /{$}", h)
	mux.Handle("GET "+EmbedPath, h)
	mux.Handle("GET "+StaticPath, h)
}

type handler struct {
	files     map[string]file
	embedPage file // the page as served with ?embed=1
}

// embedVariant is the page with its body marked for embed mode, so that
// it is compact from its first paint (the module marks it too, later).
func embedVariant(page file) file {
	page.body = bytes.Replace(page.body, []byte("<body>"), []byte(`<body class="embed">`), 1)
	page.etag = etag(page.body)
	return page
}

// etag names a file's content.
func etag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

// loadFiles reads the embedded assets into their routes: index.html at /,
// embed.js at /embed.js, static/NAME at /static/NAME.
func loadFiles() map[string]file {
	files := map[string]file{}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ctype, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		body, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		f := file{name: path.Base(p), body: body, ctype: ctype, etag: etag(body), cache: cacheRevalidate}
		route := strings.TrimPrefix(p, "assets")
		switch route {
		case "/index.html":
			route = PagePath
		case EmbedPath:
			f.cache = cacheEmbed
		}
		files[route] = f
		return nil
	})
	if err != nil { // the assets are compiled in: this cannot fail at run time
		panic("web: reading embedded assets: " + err.Error())
	}
	return files
}

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	embedded := r.URL.Path == PagePath && r.URL.Query().Get("embed") == "1"
	policy := csp + frameNone
	if embedded {
		policy = csp + frameAny
	}
	hd.Set("Content-Security-Policy", policy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer") // the page's address may hold an embed token
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, ok := h.files[r.URL.Path]
	if embedded {
		f = h.embedPage
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd.Set("Content-Type", f.ctype)
	hd.Set("Cache-Control", f.cache)
	hd.Set("ETag", f.etag)
	if r.URL.Path == EmbedPath {
		// Loaded by customers' pages, perhaps with crossorigin or under
		// Cross-Origin-Embedder-Policy.
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}
