package web

import (
	"embed"
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
		files.ServeHTTP(w, r)
	})
}
