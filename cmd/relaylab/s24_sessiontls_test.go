package main

import (
	"context"
	"crypto/tls"
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterExplainsFailedHandshake: a session whose client refused
// the listener's self-signed certificate (as Go's net/smtp, nodemailer
// and PHPMailer do) shows the failed handshake as its outcome, with the
// sink's reason and fix, in the list of sessions and on its page; it
// showed the 220 to STARTTLS, which says nothing of why no mail came.
func TestSinkAdapterExplainsFailedHandshake(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t, func(cfg *sink.Config) { cfg.Listeners[0].TLS = "starttls" })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second)) // bounds a hang, measures nothing
	cl, err := smtp.NewClient(c, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Hello("app.test"); err != nil {
		t.Fatal(err)
	}
	if err := cl.StartTLS(&tls.Config{ServerName: "mx.example.test"}); err == nil {
		t.Fatal("the client took the self-signed certificate")
	}
	c.Close()

	var ss []web.SinkSession
	for deadline := time.Now().Add(20 * time.Second); len(ss) < 1; time.Sleep(10 * time.Millisecond) { // recorded when it ends
		if ss, err = a.Sessions(context.Background(), web.SessionFilter{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no session recorded")
		}
	}
	one, err := a.Session(context.Background(), ss[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []web.SinkSession{ss[0], one} {
		if !strings.HasPrefix(s.LastReply, "TLS handshake failed: ") || s.Category != sink.TLSFailureCategory ||
			!strings.Contains(s.Reason, "does not trust") || !strings.Contains(s.Advice, "cert_file") {
			t.Errorf("session %s: last reply %q, category %q, reason %q, advice %q; want the failed handshake explained", s.ID, s.LastReply, s.Category, s.Reason, s.Advice)
		}
	}
}
