package relay

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// TestENVID: the DSN's Original-Envelope-Id is the ENVID as the sender
// meant it, decoded from its xtext (RFC 3461 4.4: the value "prior to
// encoding as xtext" must be printable ASCII because of the DSN format,
// so the DSN holds the decoded value), and the next hop gets it xtext-
// encoded again. An ENVID or ORCPT that decodes to a control character,
// which no DSN can hold, is refused at MAIL or RCPT with 501 5.5.4, not
// accepted and then impossible to report on.
func TestENVID(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if to == "gone@y.test" {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Listen = "127.0.0.1:0"
	h := newHarness(t, cfg, Options{})
	// Raw commands: go-smtp's client writes a control character as "+D",
	// which its server refuses as malformed before the relay sees it.
	send := rawSession(t, h.r.Addr().String())
	for _, tt := range []struct{ cmd, want string }{
		{"MAIL FROM:<a@x.test> ENVID=bad+0D+0AX-Forged:+201", "501 5.5.4"},
		{"MAIL FROM:<a@x.test> ENVID=ok", "250"},
		{`RCPT TO:<b@y.test> ORCPT=utf-8;b\x{7F}@y.test`, "501 5.5.4"},
		{"RCPT TO:<b@y.test> ORCPT=rfc822;b@y.test", "250"},
	} {
		if got := send(tt.cmd); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %q, want %s", tt.cmd, got, tt.want)
		}
	}
	const envid = "id+with=specials"
	submitSMTP(t, h.r.Addr().String(), "a@x.test", &smtp.MailOptions{EnvelopeID: envid}, "gone@y.test", nil)
	h.firstDSN(t)
	var raw string
	for _, m := range mta.received() {
		if m.from == "" {
			raw = string(m.data)
		} else if m.mailP == nil || m.mailP.EnvelopeID != envid {
			t.Errorf("the next hop got MAIL options %+v, want ENVID %q", m.mailP, envid)
		}
	}
	if !strings.Contains(raw, "\r\nOriginal-Envelope-Id: "+envid+"\r\n") {
		t.Errorf("DSN lacks Original-Envelope-Id: %s:\n%s", envid, raw)
	}
	if p, err := dsn.Parse([]byte(raw)); err != nil || p.EnvelopeID() != envid {
		t.Errorf("parsed envelope id %q (%v), want %q", p.EnvelopeID(), err, envid)
	}

	// A DSN that comes back with the ENVID still in xtext, as some MTAs
	// write it, is matched all the same.
	id2, err := h.r.Enqueue(t.Context(), Submission{From: "a@x.test", EnvID: "x+y=z", Data: []byte("Subject: 2\r\n\r\nx\r\n"),
		Recipients: []Recipient{{Address: "later@y.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("delivered", h.done(id2, 1))
	if code, msg := bounceReply(t, h.r.Addr().String(), []string{h.r.bounceAddress()}, dsnFor(t, h.r.bounceAddress(), "x+2By+3Dz", "later@y.test", dsn.ActionFailed)); code != 250 {
		t.Fatalf("DSN with an xtext ENVID: %d %s, want 250", code, msg)
	}
	if b := h.events(events.Filter{Message: id2, Kinds: []string{events.RelayBounced}}); len(b) != 1 {
		t.Errorf("%d bounces for the message with ENVID x+y=z, want 1", len(b))
	}
}

// rawSession opens an SMTP session at addr past EHLO and returns a
// function that sends one command and returns its reply's last line.
func rawSession(t *testing.T, addr string) func(cmd string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewReader(conn)
	read := func() string {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if len(l) < 4 || l[3] != '-' {
				return strings.TrimRight(l, "\r\n")
			}
		}
	}
	send := func(cmd string) string {
		if _, err := conn.Write([]byte(cmd + "\r\n")); err != nil {
			t.Fatal(err)
		}
		return read()
	}
	read()
	send("EHLO client.test")
	return send
}

// TestEnqueueRefusesWhatNoDSNCanCarry: Enqueue refuses what the
// submission listener refuses, a control character in an address or an
// ORCPT and an ENVID that is not printable ASCII, with an error naming
// it, instead of queueing a message whose failure could never be reported
// (dsn.Build refuses the field) and whose recipient would stay in flight.
func TestEnqueueRefusesWhatNoDSNCanCarry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig(closedAddr(t)), Options{})
	ok := func() Submission {
		return Submission{From: "a@x.test", EnvID: "env 1+x=y", Data: []byte("Subject: x\r\n\r\nx\r\n"),
			Recipients: []Recipient{{Address: "b@y.test", ORCPT: "rfc822;b+tag@y.test"}}}
	}
	if _, err := h.r.Enqueue(context.Background(), ok()); err != nil {
		t.Fatalf("a plain submission: %v", err)
	}
	for _, tt := range []struct {
		name string
		edit func(*Submission)
		want string
	}{
		{"ENVID with CR LF", func(s *Submission) { s.EnvID = "id\r\nX-Forged: 1" }, "ENVID"},
		{"ENVID with a non-ASCII byte", func(s *Submission) { s.EnvID = "idé" }, "printable ASCII"},
		{"ORCPT with a control", func(s *Submission) { s.Recipients[0].ORCPT = "utf-8;b\x01@y.test" }, "ORCPT"},
		{"recipient with a control", func(s *Submission) { s.Recipients[0].Address = "b\x7f@y.test" }, "control character"},
		{"sender with a control", func(s *Submission) { s.From = "a\t@x.test" }, "sender"},
		// As the submission listener refuses them (RFC 3461 4.2, 4.4),
		// measured as they go out: in xtext.
		{"ENVID over 100 in xtext", func(s *Submission) { s.EnvID = strings.Repeat("+", 34) }, "ENVID \"" + strings.Repeat("+", 34) + "\" is 102 characters long in xtext"},
		{"ORCPT over 500 in xtext", func(s *Submission) { s.Recipients[0].ORCPT = "rfc822;" + strings.Repeat("=", 165) + "@y.test" }, "the ORCPT of recipient b@y.test is 509 characters long in xtext"},
	} {
		s := ok()
		tt.edit(&s)
		if _, err := h.r.Enqueue(context.Background(), s); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Enqueue = %v, want an error naming %q", tt.name, err, tt.want)
		}
	}
}
