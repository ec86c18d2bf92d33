package relay

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/mailtext"
)

// maxHops is the number of Received fields past which a submitted message
// is taken for a mail loop and refused. RFC 5321 6.3: count the Received
// fields, with a limit of at least 100.
const maxHops = 100

// hops counts the Received fields in the header section of data.
func hops(data []byte) int {
	n := 0
	for line := range mailtext.HeaderLines(data) {
		if len(line) >= 9 && bytes.EqualFold(line[:9], []byte("received:")) {
			n++
		}
	}
	return n
}

// traceInfo is what the Received field of a submission says.
type traceInfo struct {
	// local, when set, says how a message came that was not submitted
	// over SMTP ("HTTP API", "Go API"); helo, client and the protocol
	// flags are then unused.
	local    string
	helo     string // the client's EHLO/HELO name
	client   string // its address, ip:port
	hostname string // ours
	id       string // the queue id
	tls      bool
	auth     bool
	utf8     bool     // the client asked for SMTPUTF8
	rcpts    []string // named in "for" only when there is one
	now      time.Time
}

// receivedField writes the Received field that RFC 5321 4.4 requires of
// every SMTP server that takes a message for onward delivery: it is how
// loops are found (RFC 5321 6.3) and how a bounce from a later hop, which
// returns the headers, names our queue id. The protocol is one of the
// RFC 3848 and RFC 6531 4.3 keywords (ESMTP, ESMTPS, ESMTPA, ESMTPSA,
// UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA). A message given to Enqueue
// gets "from local (HTTP API)" and no "with" clause: it came by no
// registered mail protocol, and RFC 5321 4.4 makes the clause optional.
func receivedField(t traceInfo) []byte {
	var b strings.Builder
	if t.local != "" {
		fmt.Fprintf(&b, "Received: from local (%s)\r\n\tby %s (relaylab) id %s", commentText(t.local), t.hostname, t.id)
		return finishReceived(&b, t)
	}
	proto := "ESMTP"
	if t.utf8 {
		proto = "UTF8SMTP"
	}
	if t.tls {
		proto += "S"
	}
	if t.auth {
		proto += "A"
	}
	ip := t.client
	if h, _, err := net.SplitHostPort(t.client); err == nil {
		ip = h
	}
	helo := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '(' || r == ')' || r == ';' {
			return -1 // keep the field one well-formed comment
		}
		return r
	}, t.helo)
	if helo == "" {
		helo = "unknown"
	}
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (relaylab) with %s id %s", helo, ip, t.hostname, proto, t.id)
	return finishReceived(&b, t)
}

// finishReceived adds the "for" clause and the date to a Received field.
func finishReceived(b *strings.Builder, t traceInfo) []byte {
	if len(t.rcpts) == 1 && !strings.ContainsAny(t.rcpts[0], "\r\n") {
		// An IDN in A-labels where the local part is ASCII: the same
		// address, and a header that stays ASCII, so that the message
		// may go on to a server without SMTPUTF8 (asciiEnvelope).
		rcpt, _ := asciiAddress(t.rcpts[0])
		fmt.Fprintf(b, "\r\n\tfor <%s>", smtpPath(rcpt))
	}
	fmt.Fprintf(b, ";\r\n\t%s\r\n", t.now.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	return []byte(b.String())
}

// commentText keeps s one line of comment text (RFC 5322 3.2.2): no
// controls, no parentheses or backslashes that would end or escape it,
// and no ";", which readers take for the start of the date.
func commentText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '(' || r == ')' || r == '\\' || r == ';' {
			return -1
		}
		return r
	}, s)
}

// localVia says in a Received field how a message given to Enqueue came:
// the web API marks its submissions with the client "http".
func localVia(client string) string {
	switch c := commentText(strings.TrimSpace(client)); {
	case strings.EqualFold(c, "http"):
		return "HTTP API"
	case c == "":
		return "Go API"
	default:
		return "Go API, client " + c
	}
}

// receivedID returns the queue id that our own Received field names in a
// header section (a bounce's returned headers), or "". hostname is ours.
func receivedID(header []byte, hostname string) string {
	for _, f := range unfoldedFields(header, "received") {
		// " with PROTO id" from a submission, " id" alone from Enqueue.
		by := strings.Index(f, " by "+hostname+" (relaylab) ")
		if by < 0 {
			continue
		}
		rest := f[by:]
		i := strings.Index(rest, " id ")
		if i < 0 {
			continue
		}
		id := strings.TrimSpace(rest[i+4:])
		if j := strings.IndexAny(id, " ;\t"); j >= 0 {
			id = id[:j]
		}
		if id != "" {
			return id
		}
	}
	return ""
}

// unfoldedFields returns the values of the fields called name (lower
// case) in a header section, each unfolded onto one line.
func unfoldedFields(header []byte, name string) []string {
	var out []string
	var cur *strings.Builder
	for _, line := range strings.Split(string(header), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil {
				cur.WriteString(" " + strings.TrimSpace(line))
			}
			continue
		}
		if cur != nil {
			out = append(out, cur.String())
			cur = nil
		}
		n, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(n), name) {
			cur = &strings.Builder{}
			cur.WriteString(strings.TrimSpace(v))
		}
	}
	if cur != nil {
		out = append(out, cur.String())
	}
	return out
}

// withMessageID is data with a Message-ID field before it when it has
// none, and a Date field when it has none: RFC 6409 8.3 asks a submission
// server to add a Message-ID, and without it a message cannot be told
// from another (its copies at the sink, a bounce that quotes it); RFC
// 6409 8.2 lets it add the Date that RFC 5322 3.6 requires, which a later
// hop would add otherwise, after the DKIM signature. The id is the queue
// id at the relay's hostname, unique as queue ids are; now is the time
// of submission.
func withMessageID(data []byte, id, hostname string, now time.Time) []byte {
	var add []byte
	if !mailtext.HasField(data, "Message-ID") {
		add = messageIDField(id, hostname)
	}
	if !mailtext.HasField(data, "Date") {
		add = append(add, dateField(now)...)
	}
	if add == nil {
		return data
	}
	return append(add, data...)
}
