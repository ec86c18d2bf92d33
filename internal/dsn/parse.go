package dsn

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Parsed is a DSN read back by Parse.
type Parsed struct {
	// Header is the DSN message's own header section.
	Header Header `json:"header"`
	// Report holds the per-message and per-recipient fields.
	Report Report `json:"report"`
	// Explanation is the decoded human-readable part (or, for a bounce that
	// is not a multipart/report, its whole text).
	Explanation string `json:"explanation,omitempty"`
	// Original is the returned message or header section, as found.
	Original []byte `json:"-"`
	// HeadersOnly is true when only the original's headers came back
	// (text/rfc822-headers).
	HeadersOnly bool `json:"headers_only,omitempty"`
	// OriginalHeader and OriginalMessageID are read from Original.
	OriginalHeader    Header `json:"original_header,omitempty"`
	OriginalMessageID string `json:"original_message_id,omitempty"`
	// Guessed is true when the message was not a DSN and the recipients in
	// Report were read from its text (see Parse).
	Guessed bool `json:"guessed,omitempty"`
	// Warnings lists what was wrong but not fatal: unreadable dates,
	// unknown actions, lines that are not fields.
	Warnings []string `json:"warnings,omitempty"`
}

// Limits on the work Parse does for one message, whatever its input.
const (
	maxDepth = 8   // nested multiparts
	maxParts = 200 // MIME parts in all
)

// Parse reads a DSN. It accepts LF or CRLF line endings, folded fields, any
// case of field names and values' types, a multipart/report nested in
// another multipart, and a report whose returned message or explanation is
// missing. It returns an error wrapping ErrNotReport when the message has no
// delivery-status part (with the header and text read so far), and one
// wrapping ErrMalformed when the delivery-status part reports no recipient.
// For a bounce in plain text it still tries: recipients followed by a reply
// code, and a copy of the original message, go in Report and Original with
// Guessed set, beside the ErrNotReport error.
func Parse(raw []byte) (*Parsed, error) {
	p := &Parsed{}
	head, body := splitHeader(raw)
	if len(head) == 0 {
		return p, fmt.Errorf("%w: the message has no header section (it should start with fields like From: and Content-Type:)", ErrNotReport)
	}
	var bad []string
	p.Header, bad = parseFields(head)
	p.warnBad("message header", bad)

	w := walker{p: p}
	w.entity(p.Header, body, 0)
	if !w.found {
		mt, params := mediaType(p.Header.Get("Content-Type"))
		if rt := params["report-type"]; mt == "multipart/report" && rt != "" && !strings.EqualFold(rt, "delivery-status") && !strings.EqualFold(rt, "global-delivery-status") {
			return p, fmt.Errorf("%w: multipart/report of report-type %q, not delivery-status or global-delivery-status", ErrNotReport, rt)
		}
		why := fmt.Sprintf("the message is %s, not multipart/report", mt)
		if strings.HasPrefix(mt, "multipart/") {
			why = mt + " message with no message/delivery-status part"
		}
		if p.Explanation != "" && p.guess(p.Explanation) {
			p.Guessed = true
			return p, fmt.Errorf("%w: %s (a non-standard bounce; %d recipient(s) guessed from its text, see Parsed.Guessed)", ErrNotReport, why, len(p.Report.Recipients))
		}
		return p, fmt.Errorf("%w: %s (a non-standard bounce; its text is in Explanation)", ErrNotReport, why)
	}
	if err := p.readStatus(w.status); err != nil {
		return p, err
	}
	if w.original != nil {
		p.readOriginal(w.original, w.headersOnly)
	}
	return p, nil
}

// IsReport reports whether raw is, by its own Content-Type, a DSN: a
// multipart/report of report-type delivery-status or global-delivery-status
// (RFC 6522 3, RFC 3464 2, RFC 6533 6). It reads the header only, so a
// relay can tell a DSN from other mail with a null sender cheaply; Parse
// reads the rest.
func IsReport(raw []byte) bool {
	head, _ := splitHeader(raw)
	h, _ := parseFields(head)
	mt, params := mediaType(h.Get("Content-Type"))
	rt := params["report-type"]
	return mt == "multipart/report" && (strings.EqualFold(rt, "delivery-status") || strings.EqualFold(rt, "global-delivery-status"))
}

// EnvelopeID returns the original envelope id: the Original-Envelope-Id
// field, or else the VERP tag of the address the DSN was sent to (see
// VERPAddress), taken from To, Delivered-To or X-Original-To.
func (p *Parsed) EnvelopeID() string {
	if p.Report.EnvelopeID != "" {
		return p.Report.EnvelopeID
	}
	for _, name := range []string{"Delivered-To", "X-Original-To", "To"} {
		v := p.Header.Get(name)
		if v == "" {
			continue
		}
		addr := v
		if a, err := mail.ParseAddress(v); err == nil {
			addr = a.Address
		}
		if tag, ok := VERPTag(addr); ok {
			return tag
		}
	}
	return ""
}

func (p *Parsed) warnf(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

func (p *Parsed) warnBad(where string, bad []string) {
	for _, l := range bad {
		p.warnf("%s: skipped a line that is not a field: %q", where, l)
	}
}

// walker finds the parts of a DSN in a tree of MIME entities.
type walker struct {
	p           *Parsed
	parts       int
	found       bool // a delivery-status part was seen
	status      []byte
	original    []byte
	headersOnly bool
	// reportDepth is the depth of the parts of the first multipart/report
	// (0: none seen yet).
	reportDepth       int
	explainedInReport bool
}

func (w *walker) entity(h Header, body []byte, depth int) {
	if w.parts++; w.parts > maxParts {
		return
	}
	mt, params := mediaType(h.Get("Content-Type"))
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if depth >= maxDepth {
			w.p.warnf("MIME parts nested deeper than %d were not read", maxDepth)
			return
		}
		boundary := params["boundary"]
		if boundary == "" {
			w.p.warnf("%s part without a boundary parameter: read as text", mt)
			w.text(h, body, depth)
			return
		}
		if mt == "multipart/report" && w.reportDepth == 0 {
			w.reportDepth = depth + 1
		}
		for _, part := range splitMultipart(body, boundary) {
			ph, pb := splitHeader(part)
			fields, bad := parseFields(ph)
			w.p.warnBad("MIME part header", bad)
			w.entity(fields, pb, depth+1)
		}
	case mt == "message/delivery-status", mt == "message/global-delivery-status":
		if !w.found {
			w.status, w.found = DecodeTransfer(h.Get("Content-Transfer-Encoding"), body), true
		}
	case mt == "message/rfc822", mt == "message/global":
		if w.original == nil {
			w.original, w.headersOnly = DecodeTransfer(h.Get("Content-Transfer-Encoding"), body), false
		}
	case mt == "text/rfc822-headers", mt == "message/rfc822-headers", mt == "message/global-headers":
		if w.original == nil {
			w.original, w.headersOnly = DecodeTransfer(h.Get("Content-Transfer-Encoding"), body), true
		}
	case mt == "text/plain" || mt == "":
		w.text(h, body, depth)
	}
}

// text keeps the first text part before the status as the explanation,
// preferring one inside the multipart/report to one around it (a gateway's
// disclaimer, say).
func (w *walker) text(h Header, body []byte, depth int) {
	if w.found || w.explainedInReport {
		return
	}
	inReport := w.reportDepth > 0 && depth == w.reportDepth
	if w.p.Explanation != "" && !inReport {
		return
	}
	text := strings.ToValidUTF8(string(DecodeTransfer(h.Get("Content-Transfer-Encoding"), body)), "\uFFFD")
	w.p.Explanation = strings.ReplaceAll(text, "\r\n", "\n")
	w.explainedInReport = inReport
}

// mediaType parses a Content-Type; when it is broken it still returns the
// type and a boundary if one can be seen. No Content-Type is text/plain
// (RFC 2045 5.2).
func mediaType(v string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err == nil {
		return mt, params
	}
	t, _, _ := strings.Cut(v, ";")
	params = map[string]string{}
	if m := boundaryRE.FindStringSubmatch(v); m != nil {
		params["boundary"] = strings.Trim(m[1], `"`)
	}
	if m := reportTypeRE.FindStringSubmatch(v); m != nil {
		params["report-type"] = strings.Trim(m[1], `"`)
	}
	return strings.ToLower(strings.TrimSpace(t)), params
}

var (
	boundaryRE   = regexp.MustCompile(`(?i)boundary\s*=\s*("[^"]*"|[^;\s]+)`)
	reportTypeRE = regexp.MustCompile(`(?i)report-type\s*=\s*("[^"]*"|[^;\s]+)`)
)

// splitMultipart returns the bodies between boundary lines (RFC 2046
// 5.1.1), tolerating transport padding after a boundary, LF line endings
// and a missing close delimiter.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // start of the current part's content
	for i := 0; i <= len(body); {
		j := bytes.IndexByte(body[i:], '\n')
		end := len(body)
		if j >= 0 {
			end = i + j
		}
		line := bytes.TrimRight(body[i:end], " \t\r")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			if len(rest) == 0 || bytes.Equal(rest, []byte("--")) {
				if start >= 0 {
					parts = append(parts, trimPartEnd(body[start:i]))
				}
				if len(rest) != 0 { // close delimiter: the epilogue follows
					return parts
				}
				start = end + 1
				if start > len(body) {
					start = len(body)
				}
			}
		}
		if j < 0 {
			break
		}
		i = end + 1
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// trimPartEnd removes the line break that belongs to the next delimiter.
func trimPartEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// readStatus reads the groups of a message/delivery-status body (RFC 3464
// 2.1): the per-message fields, then one group per recipient.
func (p *Parsed) readStatus(body []byte) error {
	groups, bad := statusGroups(body)
	p.warnBad("delivery-status", bad)
	if len(groups) == 0 {
		return fmt.Errorf("%w: the message/delivery-status part is empty", ErrMalformed)
	}
	first := 0
	if h := groups[0]; h.Has("Reporting-MTA") || !(h.Has("Final-Recipient") || h.Has("Original-Recipient") || h.Has("Action")) {
		p.readPerMessage(h)
		first = 1
	} else {
		p.warnf("delivery-status: no per-message fields before the first recipient")
	}
	if p.Report.ReportingMTA == "" {
		p.warnf("delivery-status: Reporting-MTA is missing (RFC 3464 2.2.2 requires it)")
	}
	for i, h := range groups[first:] {
		if rc, ok := p.readRecipient(i+1, h); ok {
			p.Report.Recipients = append(p.Report.Recipients, rc)
		}
	}
	if len(p.Report.Recipients) == 0 {
		return fmt.Errorf("%w: the message/delivery-status part has no per-recipient fields (no Final-Recipient), so there is nothing to report on", ErrMalformed)
	}
	return nil
}

// statusGroups splits the body on empty (or blank) lines and parses each
// group's fields.
func statusGroups(body []byte) (groups []Header, bad []string) {
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			h, b := parseFields([]byte(strings.Join(cur, "\n")))
			bad = append(bad, b...)
			if len(h) > 0 {
				groups = append(groups, h)
			}
			cur = cur[:0]
		}
	}
	for _, l := range splitLines(body) {
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		cur = append(cur, l)
	}
	flush()
	return groups, bad
}

func (p *Parsed) readPerMessage(h Header) {
	r := &p.Report
	for _, f := range h {
		switch strings.ToLower(f.Name) {
		case "reporting-mta":
			r.ReportingMTA = untyped(f.Value)
		case "original-envelope-id":
			r.EnvelopeID = f.Value
		case "received-from-mta":
			r.ReceivedFromMTA = untyped(f.Value)
		case "arrival-date":
			r.ArrivalDate = p.date("Arrival-Date", f.Value)
		default:
			r.Extra = append(r.Extra, f)
		}
	}
}

var statusInRE = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}\b`)

func (p *Parsed) readRecipient(n int, h Header) (Recipient, bool) {
	var rc Recipient
	for _, f := range h {
		switch strings.ToLower(f.Name) {
		case "original-recipient":
			rc.OriginalRecipient = untyped(f.Value)
		case "final-recipient":
			rc.FinalRecipient = untyped(f.Value)
		case "action":
			a, _, _ := strings.Cut(strings.TrimSpace(f.Value), " ")
			rc.Action = strings.ToLower(a)
		case "status":
			v := strings.TrimSpace(f.Value)
			if m := statusInRE.FindString(v); m != "" {
				rc.Status = m
			} else {
				rc.Status = v
				p.warnf("recipient %d: Status %q is not an enhanced status code like 5.1.1", n, v)
			}
		case "remote-mta":
			rc.RemoteMTA = untyped(f.Value)
		case "diagnostic-code":
			rc.DiagnosticCode = untyped(f.Value)
		case "last-attempt-date":
			rc.LastAttempt = p.date("Last-Attempt-Date", f.Value)
		case "will-retry-until":
			rc.WillRetryUntil = p.date("Will-Retry-Until", f.Value)
		default:
			rc.Extra = append(rc.Extra, f)
		}
	}
	if rc.FinalRecipient == "" {
		if rc.OriginalRecipient == "" {
			p.warnf("recipient %d: no Final-Recipient or Original-Recipient; group skipped", n)
			return rc, false
		}
		p.warnf("recipient %d: no Final-Recipient; using Original-Recipient", n)
		rc.FinalRecipient = rc.OriginalRecipient
	}
	switch rc.Action {
	case ActionFailed, ActionDelayed, ActionDelivered, ActionRelayed, ActionExpanded:
	case "":
		p.warnf("recipient %d (%s): Action is missing", n, rc.FinalRecipient)
	default:
		p.warnf("recipient %d (%s): Action %q is not one of failed, delayed, delivered, relayed, expanded", n, rc.FinalRecipient, rc.Action)
	}
	if rc.Status == "" {
		p.warnf("recipient %d (%s): Status is missing", n, rc.FinalRecipient)
	}
	return rc, true
}

// date parses an RFC 5322 date-time; a bad one is a warning, not an error.
func (p *Parsed) date(name, v string) time.Time {
	t, err := mail.ParseDate(v)
	if err != nil {
		p.warnf("%s %q is not an RFC 5322 date: %v", name, truncate(v, 60), err)
		return time.Time{}
	}
	return t
}

func (p *Parsed) readOriginal(b []byte, headersOnly bool) {
	p.Original, p.HeadersOnly = b, headersOnly
	head, _ := splitHeader(b)
	var bad []string
	p.OriginalHeader, bad = parseFields(head)
	p.warnBad("returned message header", bad)
	p.OriginalMessageID = p.OriginalHeader.Get("Message-ID")
}
