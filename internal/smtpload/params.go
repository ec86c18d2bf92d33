package smtpload

import (
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/dsn"
)

// MailParams returns the MAIL FROM parameters tx needs and the server
// offers (its EHLO keywords), space-separated: SIZE= (RFC 1870) so that
// a message too big is refused before it is sent, BODY=8BITMIME (RFC
// 6152) for content with 8-bit bytes, and SMTPUTF8 (RFC 6531 3.4) when
// an address or a header field is not ASCII. missing names the
// extensions tx needs and the server does not offer ("8BITMIME",
// "SMTPUTF8"): the caller decides whether to send all the same.
func (c *Client) MailParams(tx *Transaction) (params string, missing []string) {
	size, eightBit, bol := 0, false, true
	for _, p := range tx.Parts {
		// RFC 1870 3: the size counts CRLFs but not the dots doubled at
		// the start of a line (in wire form every line that starts with
		// a dot had it doubled, RFC 5321 4.5.2).
		size += len(p) - stuffedDots(p, bol)
		eightBit = eightBit || !ascii(p)
		bol = len(p) == 0 && bol || len(p) > 0 && p[len(p)-1] == '\n'
	}
	utf8 := !asciiString(tx.From) || !ascii(header(tx.Parts))
	for _, to := range tx.To {
		utf8 = utf8 || !asciiString(to)
	}
	var b []byte
	add := func(p string) {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, p...)
	}
	if c.Has("SIZE") {
		add("SIZE=" + strconv.Itoa(size))
	}
	if eightBit {
		if c.Has("8BITMIME") {
			add("BODY=8BITMIME")
		} else {
			missing = append(missing, "8BITMIME")
		}
	}
	if utf8 {
		if c.Has("SMTPUTF8") {
			add("SMTPUTF8")
		} else {
			missing = append(missing, "SMTPUTF8")
		}
	}
	return string(b), missing
}

// header is the message's header section: the parts up to the first
// empty line (all of them when there is none).
func header(parts [][]byte) []byte {
	var h []byte
	for _, p := range parts {
		h = append(h, p...)
		if i := indexEmptyLine(h); i >= 0 {
			return h[:i]
		}
	}
	return h
}

func indexEmptyLine(b []byte) int {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' && b[i+2] == '\r' && b[i+3] == '\n' {
			return i
		}
	}
	if len(b) >= 2 && b[0] == '\r' && b[1] == '\n' {
		return 0
	}
	return -1
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func asciiString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// stuffedDots counts the lines of wire-form p that start with a dot, the
// first too when bol (p starts a line).
func stuffedDots(p []byte, bol bool) int {
	n := 0
	for i, c := range p {
		if c == '.' && (i == 0 && bol || i > 0 && p[i-1] == '\n') {
			n++
		}
	}
	return n
}

// DSN holds the DSN parameters (RFC 3461 4) a transaction asks for, each
// value decoded: the caller checks them, and DSN writes them in the
// encodings the wire wants.
type DSN struct {
	// Ret is RET on MAIL, "FULL" or "HDRS" (RFC 3461 4.3); "" for none.
	Ret string
	// EnvID is ENVID on MAIL, printable ASCII, written in xtext (RFC
	// 3461 4.4); "" for none.
	EnvID string
	// Notify is NOTIFY on every RCPT: NEVER, or some of SUCCESS, FAILURE
	// and DELAY (RFC 3461 4.1); nil for none.
	Notify []string
	// ORCPT is each recipient's ORCPT by index, "type;address" with the
	// address as it is ("rfc822;alice@example.com"), written in xtext for
	// rfc822 and in utf-8-addr-xtext for utf-8 (RFC 3461 4.2, RFC 6533
	// 3); a missing or empty entry sends none.
	ORCPT []string
}

// Empty reports whether d asks for no parameter at all.
func (d *DSN) Empty() bool {
	if d == nil {
		return true
	}
	if d.Ret != "" || d.EnvID != "" || d.Notify != nil {
		return false
	}
	for _, o := range d.ORCPT {
		if o != "" {
			return false
		}
	}
	return true
}

// MailParams returns RET= and ENVID= for MAIL, space-separated.
func (d *DSN) MailParams() string {
	var p []string
	if d.Ret != "" {
		p = append(p, "RET="+d.Ret)
	}
	if d.EnvID != "" {
		p = append(p, "ENVID="+dsn.Xtext(d.EnvID))
	}
	return strings.Join(p, " ")
}

// RcptParams returns NOTIFY= and ORCPT= for each of n recipients, for
// Transaction.RcptParams.
func (d *DSN) RcptParams(n int) []string {
	out := make([]string, n)
	for i := range out {
		var p []string
		if d.Notify != nil {
			p = append(p, "NOTIFY="+strings.Join(d.Notify, ","))
		}
		if i < len(d.ORCPT) && d.ORCPT[i] != "" {
			p = append(p, "ORCPT="+dsn.ORCPTParam(d.ORCPT[i]))
		}
		out[i] = strings.Join(p, " ")
	}
	return out
}

// ApplyDSN adds d's parameters to tx (MailParams, RcptParams) when the
// server offers DSN (RFC 3461 4: a client sends them only then), and
// reports whether it did.
func (c *Client) ApplyDSN(tx *Transaction, d *DSN) bool {
	if d.Empty() || !c.Has("DSN") {
		return false
	}
	if p := d.MailParams(); p != "" {
		if tx.MailParams != "" {
			tx.MailParams += " "
		}
		tx.MailParams += p
	}
	tx.RcptParams = d.RcptParams(len(tx.To))
	return true
}
