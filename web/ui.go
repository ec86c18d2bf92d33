package web

import (
	"embed"
	"html"
	"io/fs"
	"net/http"
	"strings"
)

// The UI is plain HTML, CSS and JavaScript of our own, embedded in the
// binary: one page that routes on the URL's fragment.
//
//go:embed ui
var uiFiles embed.FS

func (s *Server) ui() http.Handler {
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic("web: embedded ui: " + err.Error()) // the embed pattern guarantees it
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed here", "the UI is read with GET")
			return
		}
		// Pages and assets change with the binary: revalidate them.
		w.Header().Set("Cache-Control", "no-cache")
		if r.URL.Path != "/" && !strings.Contains(r.URL.Path[1:], ".") {
			r.URL.Path = "/" // deep links serve the one page
		}
		if name := strings.TrimPrefix(r.URL.Path, "/"); name != "" {
			if st, err := fs.Stat(sub, name); err != nil || st.IsDir() {
				notFound(w, r)
				return
			}
		}
		files.ServeHTTP(w, r)
	})
}

// notFound answers a path that is neither a page, an asset nor an
// endpoint: a small HTML page for a browser that navigated there, the
// API's JSON error for anything else (a script or a fetch).
func notFound(w http.ResponseWriter, r *http.Request) {
	detail := "the UI is at / and the API under /api/v1 (see /openapi.yaml)"
	// Mailpit's /view/{ID}.html, called by a suite ported from Mailpit.
	hint := mailpitHint(r.Method, r.URL.Path)
	if hint != "" {
		detail = hint
	}
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		writeError(w, http.StatusNotFound, "no such file: "+r.URL.Path, detail)
		return
	}
	hintPara := ""
	if hint != "" {
		hintPara = "<p>" + html.EscapeString(hint) + ".</p>\n"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	// No script and no inline style: the page lives under pageCSP too.
	w.Write([]byte(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not found · relaylab</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"></head>
<body><header class="top"><a class="brand" href="/">relaylab</a></header>
<main id="main"><h1>Not found</h1><p class="error">There is nothing at <span class="mono">` + html.EscapeString(r.URL.Path) + `</span>.</p>
` + hintPara + `<p><a href="/#/feed">Go to the live feed</a>. The UI is at /, and the API under /api/v1 (see <a href="/openapi.yaml">/openapi.yaml</a>).</p></main>
</body></html>
`))
}
