package web

import (
	"bytes"
	"context"
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
	d, ok := s.loadReport(w, r)
	if !ok {
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
	d, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, reports.Summarize(d))
}

// loadReport reads the event log, completed with the sink's own record
// when the sink can count its replies: every reply by stage and code, the
// successes too, and on a store without relay mail the recipients as the
// sink saw them, as relaylab report --db shows them. Without it the
// report counts the refusals alone (the log's sink.reply events). On an
// error it has answered.
func (s *Server) loadReport(w http.ResponseWriter, r *http.Request) (*reports.Data, bool) {
	d, err := reports.Load(r.Context(), s.opts.Store)
	if err != nil {
		s.writeAPIError(w, r, "reading the event log", err)
		return nil, false
	}
	if rs, ok := s.opts.Sink.(SinkRepliesAPI); ok {
		var rec reports.SinkRecord = sinkRecord{rs, s.opts.Sink}
		if x, ok := s.opts.Sink.(SinkExplainAPI); ok {
			// The refusals explained as the sink's pages explain them
			// (the relay's classify rules first), not by the built-in
			// table alone.
			rec = explainedRecord{sinkRecord{rs, s.opts.Sink}, x}
		}
		if err := d.AddSinkRecord(r.Context(), rec); err != nil {
			s.writeAPIError(w, r, "reading the sink's record", err)
			return nil, false
		}
		if d.FromSink {
			// The senders of a store the sink alone wrote were not
			// relaylab's relay, which retries: advise as relaylab
			// report does.
			d.AdviseOutsideSenders(nil)
		}
	}
	return d, true
}

// SinkRepliesAPI is offered by a SinkAPI that can count every reply its
// sessions gave, successes too: the log's sink.reply events are the
// refusals alone.
type SinkRepliesAPI interface {
	Replies(ctx context.Context) (SinkReplyTally, error)
}

// SinkReplyTally is the replies of the sink's sessions, counted.
type SinkReplyTally struct {
	// Sessions is the number of sessions recorded.
	Sessions int `json:"sessions"`
	// Counts has one entry per stage and code.
	Counts []SinkReplyCount `json:"counts"`
}

// SinkReplyCount is how many replies with one code the sink gave at one
// stage ("connect" for the greeting, "rcpt", "data-end").
type SinkReplyCount struct {
	Stage string `json:"stage"`
	Code  int    `json:"code"`
	Count int    `json:"count"`
}

// sinkRecord reads the sink's record for reports.AddSinkRecord; the
// attempts come from a sink that offers them (SinkAttemptsAPI), none
// otherwise.
type sinkRecord struct {
	replies SinkRepliesAPI
	sink    SinkAPI
}

var _ reports.SinkRecord = sinkRecord{}

func (sr sinkRecord) SinkReplies(ctx context.Context) ([]reports.SinkReply, int, error) {
	t, err := sr.replies.Replies(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := make([]reports.SinkReply, len(t.Counts))
	for i, c := range t.Counts {
		out[i] = reports.SinkReply(c)
	}
	return out, t.Sessions, nil
}

func (sr sinkRecord) AllAttempts(ctx context.Context) ([]reports.SinkAttempt, error) {
	mas, err := sr.AllMessageAttempts(ctx)
	return reports.WithoutMessages(mas), err
}

// AllMessageAttempts gives the report each attempt's message and its
// Message-ID, so that a sender's retry of one message joins that
// message's record, as relaylab report and expect tell them (a record
// ends at the sink's acceptance; another message to the address starts
// its own).
func (sr sinkRecord) AllMessageAttempts(ctx context.Context) ([]reports.SinkMessageAttempt, error) {
	aa, ok := sr.sink.(SinkAttemptsAPI)
	if !ok {
		return nil, nil
	}
	atts, err := aa.Attempts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]reports.SinkMessageAttempt, len(atts))
	for i, a := range atts {
		out[i] = a.Report()
	}
	return out, nil
}

var _ reports.SinkMessageSource = sinkRecord{}

// explainedRecord is a sinkRecord whose sink explains its refusals.
type explainedRecord struct {
	sinkRecord
	x SinkExplainAPI
}

var _ reports.SinkExplainer = explainedRecord{}

func (er explainedRecord) ExplainSinkReply(stage string, code int, enhanced, text string) (reports.Explanation, bool) {
	e, ok := er.x.ExplainReply(stage, code, enhanced, text)
	return reports.Explanation(e), ok
}

// Report is the attempt as reports reads it, with its message.
func (a SinkAttempt) Report() reports.SinkMessageAttempt {
	return reports.SinkMessageAttempt{Message: a.Message, MessageID: a.MessageID, SinkAttempt: reports.SinkAttempt{Time: a.Time, Listener: a.Listener,
		Client: a.Client, Sender: a.Sender, Recipient: a.Recipient, Stage: a.Stage, Code: a.Code, Enhanced: a.Enhanced, Text: a.Text, TLS: a.TLS,
		Session: a.Session, By: a.By}}
}
