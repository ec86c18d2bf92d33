package web

import (
	"bytes"
	"net/http"

	"github.com/relaylab/relaylab/reports"
)

// reportType is the Content-Type and file extension of a report format.
func reportType(format string) (contentType, ext string, ok bool) {
	switch format {
	case "text":
		return "text/plain; charset=utf-8", "txt", true
	case "json":
		return "application/json; charset=utf-8", "json", true
	case "csv":
		return "text/csv; charset=utf-8", "csv", true
	case "junit":
		return "application/xml; charset=utf-8", "xml", true
	case "markdown":
		return "text/markdown; charset=utf-8", "md", true
	case "html":
		return "text/html; charset=utf-8", "html", true
	}
	return "", "", false
}

// report renders the reports package's view of the whole event log.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	ct, ext, ok := reportType(format)
	if !ok {
		writeError(w, http.StatusBadRequest, "unknown report format "+format, "want one of text, json, csv, junit, markdown, html")
		return
	}
	d, err := reports.Load(r.Context(), s.opts.Store)
	if err != nil {
		s.writeAPIError(w, r, "reading the event log", err)
		return
	}
	var buf bytes.Buffer
	if err := reports.Write(&buf, format, d); err != nil {
		s.writeAPIError(w, r, "writing the report", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-store")
	if format == "html" {
		// The report is self-contained, with inline styles and values from
		// mail: shown under the same sandbox as a message body.
		h.Set("Content-Security-Policy", bodyCSP)
		h.Set("X-Frame-Options", "SAMEORIGIN")
	} else {
		h.Set("Content-Disposition", `attachment; filename="relaylab-report.`+ext+`"`)
	}
	w.Write(buf.Bytes())
}

// reportSummary is the aggregate view, as JSON.
func (s *Server) reportSummary(w http.ResponseWriter, r *http.Request) {
	d, err := reports.Load(r.Context(), s.opts.Store)
	if err != nil {
		s.writeAPIError(w, r, "reading the event log", err)
		return
	}
	writeJSON(w, http.StatusOK, reports.Summarize(d))
}
