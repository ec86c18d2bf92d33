package dsn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"time"
	"unicode/utf8"
)

// Return says how much of the original message a DSN carries (the RET
// parameter, RFC 3461 4.3).
type Return int

const (
	// ReturnHeaders returns the original header section only, as
	// text/rfc822-headers (RFC 6522 5). It is the default.
	ReturnHeaders Return = iota
	// ReturnFull returns the whole original message, as message/rfc822.
	ReturnFull
	// ReturnNone returns nothing of the original.
	ReturnNone
)

// BuildOptions are the parts of a DSN message that are not the report.
type BuildOptions struct {
	// From is the DSN's From field. Empty means MAILER-DAEMON at the
	// reporting MTA. A DSN is sent with a null reverse path (MAIL FROM:<>,
	// RFC 3464 2 and RFC 5321 4.5.5) so that it never causes another bounce;
	// that is the sender's business, not this header's.
	From string
	// To is the DSN's To field: the original envelope sender.
	To string
	// MessageID is the DSN's Message-ID, with or without angle brackets.
	MessageID string
	// Date is the DSN's Date; required, since this package never reads a
	// clock.
	Date time.Time
	// Subject; empty means one chosen from the recipients' actions.
	Subject string
	// Explanation is the human-readable first part (RFC 6522 3). Empty
	// means a plain explanation written from the report.
	Explanation string
	// Return selects how much of Original is returned.
	Return Return
	// MaxReturn, when positive, returns headers only if Original is larger
	// than this many bytes.
	MaxReturn int
	// Original is the message the report is about, as received.
	Original []byte
}

// Build writes a complete DSN: a multipart/report; report-type=
// delivery-status message (RFC 6522, RFC 3464) with CRLF line endings. The
// output depends only on its arguments.
func Build(opts BuildOptions, r Report) ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	if opts.Date.IsZero() {
		return nil, fmt.Errorf("%w: BuildOptions.Date is zero; pass the clock's time", ErrInvalid)
	}
	if opts.MessageID == "" {
		return nil, fmt.Errorf("%w: BuildOptions.MessageID is empty; every DSN needs a Message-ID (RFC 5322 3.6.4)", ErrInvalid)
	}
	if opts.To == "" {
		return nil, fmt.Errorf("%w: BuildOptions.To is empty; a DSN goes to the original envelope sender", ErrInvalid)
	}
	from := opts.From
	if from == "" {
		from = "Mail Delivery System <MAILER-DAEMON@" + r.ReportingMTA + ">"
	}
	subject := opts.Subject
	if subject == "" {
		subject = defaultSubject(r)
	}
	for _, f := range []Field{{"From", from}, {"To", opts.To}, {"Message-ID", opts.MessageID}, {"Subject", subject}} {
		if err := checkLine(f.Name, f.Value); err != nil {
			return nil, err
		}
	}
	explanation := opts.Explanation
	if explanation == "" {
		explanation = Explain(r)
	}
	original, headersOnly := returned(opts)
	if original != nil {
		var changes lineChanges
		original, headersOnly, changes = limitOriginal(original, headersOnly)
		if n := changes.note(); n != "" {
			explanation = strings.TrimRight(explanation, "\r\n") + "\n\n" + n + "\n"
		}
	}

	status := statusPart(r, false)
	// RFC 6533 6: a report with a UTF-8 address (or other UTF-8 text) is
	// message/global-delivery-status, and a returned header section with
	// UTF-8 is message/global-headers or message/global; all-ASCII reports
	// stay message/delivery-status for readers that know only that.
	global := !isASCII(status)
	if !global {
		// RFC 6533 3: there a utf-8 address is in its utf-8-addr-xtext
		// form, with "+", "=" and "\" escaped too.
		status = statusPart(r, true)
	}
	reportType, statusType := "delivery-status", "message/delivery-status"
	if global {
		reportType, statusType = "global-delivery-status", "message/global-delivery-status"
	}
	head, _ := splitHeader(original)
	originalType := "message/rfc822"
	switch {
	case headersOnly && isASCII(head):
		originalType = "text/rfc822-headers"
	case headersOnly:
		originalType = "message/global-headers"
	case !isASCII(head):
		originalType = "message/global"
	}
	boundary := makeBoundary(opts.MessageID, [][]byte{[]byte(explanation), status, original})

	var b bytes.Buffer
	fold(&b, "From", from)
	fold(&b, "To", opts.To)
	fold(&b, "Subject", subject)
	fold(&b, "Date", opts.Date.Format(dateLayout))
	fold(&b, "Message-ID", angle(opts.MessageID))
	if id := originalMessageID(original); id != "" {
		fold(&b, "References", id) // threads the DSN under the original
	}
	// RFC 3834 5: automatic responses say so, and loops are avoided.
	b.WriteString("Auto-Submitted: auto-replied\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=%s;\r\n\tboundary=\"%s\"\r\n", reportType, boundary)
	if global || !isASCII(original) {
		// RFC 2045 6.4: a multipart holding 8-bit parts is itself 8bit.
		b.WriteString("Content-Transfer-Encoding: 8bit\r\n")
	}
	b.WriteString("\r\nThis is a MIME-encapsulated message: a delivery status notification (RFC 3464).\r\n")

	// RFC 6522 3: first the human-readable part.
	fmt.Fprintf(&b, "\r\n--%s\r\n", boundary)
	b.WriteString("Content-Description: Notification\r\n")
	writeText(&b, explanation)

	// RFC 3464 2: then the machine-readable status.
	fmt.Fprintf(&b, "\r\n--%s\r\n", boundary)
	b.WriteString("Content-Description: Delivery report\r\n")
	fmt.Fprintf(&b, "Content-Type: %s\r\n", statusType)
	if global {
		b.WriteString("Content-Transfer-Encoding: 8bit\r\n")
	}
	b.WriteString("\r\n")
	b.Write(status)

	// RFC 6522 3 and RFC 3462 5: optionally the original or its headers.
	if original != nil {
		fmt.Fprintf(&b, "\r\n--%s\r\n", boundary)
		desc := returnedName(r)
		if headersOnly {
			desc += " headers"
		}
		b.WriteString("Content-Description: " + desc + "\r\n")
		fmt.Fprintf(&b, "Content-Type: %s\r\n", originalType)
		if !isASCII(original) {
			b.WriteString("Content-Transfer-Encoding: 8bit\r\n")
		}
		b.WriteString("\r\n")
		b.Write(original)
		if !bytes.HasSuffix(original, []byte("\r\n")) {
			b.WriteString("\r\n")
		}
	}
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes(), nil
}

// dateLayout is the RFC 5322 3.3 date-time that DSN dates use (RFC 3464 2.1.3... 2.3.7).
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// statusPart writes the message/delivery-status body: the per-message
// group, then one group per recipient, separated by empty lines (RFC 3464 2.1).
// xtext writes utf-8 addresses in their utf-8-addr-xtext form, as an ASCII
// report needs them; else they are written as they are (utf-8-address),
// as a message/global-delivery-status may hold them.
func statusPart(r Report, xtext bool) []byte {
	var b bytes.Buffer
	fold(&b, "Reporting-MTA", typed("dns", r.ReportingMTA))
	if r.EnvelopeID != "" {
		fold(&b, "Original-Envelope-Id", r.EnvelopeID)
	}
	if r.ReceivedFromMTA != "" {
		fold(&b, "Received-From-MTA", typed("dns", r.ReceivedFromMTA))
	}
	if !r.ArrivalDate.IsZero() {
		fold(&b, "Arrival-Date", r.ArrivalDate.Format(dateLayout))
	}
	for _, f := range r.Extra {
		fold(&b, f.Name, f.Value)
	}
	for _, rc := range r.Recipients {
		b.WriteString("\r\n")
		if rc.OriginalRecipient != "" {
			fold(&b, "Original-Recipient", typedAddress(rc.OriginalRecipient, xtext))
		}
		fold(&b, "Final-Recipient", typedAddress(rc.FinalRecipient, xtext))
		fold(&b, "Action", rc.Action)
		fold(&b, "Status", rc.Status)
		if rc.RemoteMTA != "" {
			fold(&b, "Remote-MTA", typed("dns", rc.RemoteMTA))
		}
		if rc.DiagnosticCode != "" {
			fold(&b, "Diagnostic-Code", typed("smtp", rc.DiagnosticCode))
		}
		if !rc.LastAttempt.IsZero() {
			fold(&b, "Last-Attempt-Date", rc.LastAttempt.Format(dateLayout))
		}
		if !rc.WillRetryUntil.IsZero() {
			fold(&b, "Will-Retry-Until", rc.WillRetryUntil.Format(dateLayout))
		}
		for _, f := range rc.Extra {
			fold(&b, f.Name, f.Value)
		}
	}
	return b.Bytes()
}

// typedAddress returns an address field's value with its RFC 3464 type:
// the one it has, else rfc822, or utf-8 (RFC 6533 3) when the address is
// not ASCII, which rfc822 cannot carry. xtext writes a utf-8 address in
// its utf-8-addr-xtext form.
func typedAddress(v string, xtext bool) string {
	if t, rest, ok := strings.Cut(v, ";"); ok && typedRE.MatchString(v) {
		switch t = strings.TrimSpace(t); {
		case strings.EqualFold(t, "rfc822") && !isASCII(rest):
			return "utf-8; " + strings.TrimSpace(rest)
		case strings.EqualFold(t, "utf-8") && xtext:
			addr := strings.TrimLeft(rest, " \t")
			return v[:len(v)-len(addr)] + UTF8AddrXtext(addr)
		}
		return v
	}
	if !isASCII(v) {
		return "utf-8; " + v
	}
	return "rfc822; " + v
}

func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// returned picks what of the original goes back, with CRLF line endings.
func returned(opts BuildOptions) (body []byte, headersOnly bool) {
	if opts.Return == ReturnNone || len(opts.Original) == 0 {
		return nil, false
	}
	orig := crlf(opts.Original)
	if opts.Return == ReturnFull && (opts.MaxReturn <= 0 || len(orig) <= opts.MaxReturn) {
		return orig, false
	}
	head, _ := splitHeader(orig)
	return head, true
}

// crlf normalises bare LF and lone CR line endings to CRLF (RFC 5322 2.3).
func crlf(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/40)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}

// makeBoundary derives a boundary from the Message-ID, so the output is
// reproducible, and changes it until no part contains it (RFC 2046 5.1.1).
func makeBoundary(seed string, parts [][]byte) string {
	for n := 0; ; n++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", seed, n))
		bd := "=_dsn_" + hex.EncodeToString(sum[:12])
		clash := false
		for _, p := range parts {
			if bytes.Contains(p, []byte(bd)) {
				clash = true
				break
			}
		}
		if !clash {
			return bd
		}
	}
}

// writeText writes the header rest and body of a text/plain part, quoted-
// printable when the text is not plain short-lined ASCII.
func writeText(b *bytes.Buffer, text string) {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	body := crlf([]byte(text))
	if plainASCII(body) {
		b.WriteString("Content-Type: text/plain; charset=us-ascii\r\n\r\n")
		b.Write(body)
		if !bytes.HasSuffix(body, []byte("\r\n")) {
			b.WriteString("\r\n")
		}
		return
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write(body)
	w.Close()
	b.Write(qp.Bytes())
	if !bytes.HasSuffix(qp.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
}

func plainASCII(b []byte) bool {
	col := 0
	for _, c := range b {
		if c >= 0x80 || c == 0 {
			return false
		}
		if c == '\n' {
			col = 0
			continue
		}
		if col++; col > 900 {
			return false
		}
	}
	return true
}

func angle(id string) string {
	id = strings.TrimSpace(id)
	if strings.HasPrefix(id, "<") {
		return id
	}
	return "<" + id + ">"
}

func originalMessageID(original []byte) string {
	head, _ := splitHeader(original)
	h, _ := parseFields(head)
	id := strings.TrimSpace(h.Get("Message-ID"))
	if id == "" || strings.ContainsAny(id, "\r\n") {
		return ""
	}
	return id
}

// returnedName names the returned message for its reader: "Undelivered"
// in a report of a failure or a delay, but not in a success DSN
// (NOTIFY=SUCCESS), whose message was delivered or handed on.
func returnedName(r Report) string {
	for _, rc := range r.Recipients {
		if rc.Action == ActionFailed || rc.Action == ActionDelayed {
			return "Undelivered message"
		}
	}
	return "Original message"
}

func defaultSubject(r Report) string {
	failed, delayed := false, false
	for _, rc := range r.Recipients {
		switch rc.Action {
		case ActionFailed:
			failed = true
		case ActionDelayed:
			delayed = true
		}
	}
	switch {
	case failed:
		return "Undelivered Mail Returned to Sender"
	case delayed:
		return "Delayed Mail (still being retried)"
	}
	return "Delivery Status Notification"
}
