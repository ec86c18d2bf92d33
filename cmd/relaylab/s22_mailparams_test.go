package main

import (
	"context"
	"net"
	"net/textproto"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestSinkAdapterMailDeclared: the web's sink message says what the
// client's MAIL declared (BODY=8BITMIME, SMTPUTF8) and carries the sink's
// notes, such as 8-bit data a MAIL did not declare.
func TestSinkAdapterMailDeclared(t *testing.T) {
	_, st, sk := startSinkStore(t)
	addr := sk.Addrs()["mx"].String()
	send := func(opts *smtp.MailOptions, body string) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c := smtp.NewClient(conn)
		defer c.Close()
		if err := c.Hello("client.test"); err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("app@s.test", opts); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("u@example.test", nil); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	send(&smtp.MailOptions{Body: smtp.Body8BitMIME, UTF8: true}, "Subject: caf\xc3\xa9\r\n\r\ncaf\xc3\xa9\r\n")
	// go-smtp's client adds BODY=8BITMIME by itself: say MAIL by hand.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tc := textproto.NewConn(conn)
	defer tc.Close()
	for _, step := range []struct {
		line string
		code int
	}{{"", 220}, {"EHLO client.test", 250}, {"MAIL FROM:<app@s.test>", 250}, {"RCPT TO:<u@example.test>", 250}, {"DATA", 354},
		{"Subject: plain\r\n\r\ncaf\xc3\xa9\r\n.", 250}} {
		if step.line != "" {
			if err := tc.PrintfLine("%s", step.line); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := tc.ReadResponse(step.code); err != nil {
			t.Fatalf("after %q: %v", step.line, err)
		}
	}
	a := sinkAdapter{db: st.DB()}
	ctx := context.Background()
	d, err := a.Message(ctx, "1")
	if err != nil || d.Mail == nil || d.Mail.Body != "8BITMIME" || !d.Mail.SMTPUTF8 || d.Mail.Unknown || len(d.SinkNotes) != 0 {
		t.Errorf("message 1 = %+v (notes %q), %v; want BODY=8BITMIME and SMTPUTF8 declared, no note", d.Mail, d.SinkNotes, err)
	}
	d, err = a.Message(ctx, "2")
	if err != nil || d.Mail == nil || d.Mail.Body != "" || d.Mail.SMTPUTF8 || len(d.SinkNotes) != 1 || !strings.Contains(d.SinkNotes[0], "8BITMIME") {
		t.Errorf("message 2 = %+v (notes %q), %v; want nothing declared and a note on its 8-bit body", d.Mail, d.SinkNotes, err)
	}
}
