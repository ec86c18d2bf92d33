package sink

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/postfixtest"
)

// TestPostfixPassesDSNParameters submits mail with RET, ENVID and NOTIFY
// to a private Postfix that relays to the sink: a real MTA, which no one
// here wrote, sees DSN in the sink's EHLO and passes the parameters on,
// with an ORCPT of its own. (swaks of Debian 12, 20201014, has no DSN
// options, so swaks cannot be the client here.)
func TestPostfixPassesDSNParameters(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	pf := postfixtest.Start(t, postfixtest.Options{RelayHost: addr, Extra: map[string]string{"smtp_tls_security_level": "may"}})
	const rcpt = "dsn-postfix@sink.test"
	c, err := smtp.Dial(pf.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("app@sender.test", &smtp.MailOptions{Return: smtp.DSNReturnHeaders, EnvelopeID: "pf env 1"}); err != nil {
		t.Fatalf("MAIL to Postfix with RET and ENVID: %v", err)
	}
	if err := c.Rcpt(rcpt, &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed}}); err != nil {
		t.Fatalf("RCPT to Postfix with NOTIFY: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("From: app@sender.test\r\nTo: " + rcpt + "\r\nSubject: DSN through Postfix\r\n\r\nHello.\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // bounds a hang only
	defer cancel()
	var atts []Attempt
	for len(atts) == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("the sink never saw Postfix's delivery; Postfix's log:\n%s", pf.Log())
		case <-time.After(100 * time.Millisecond):
		}
		if atts, err = Attempts(ctx, st.DB(), rcpt); err != nil {
			t.Fatal(err)
		}
	}
	a := atts[0]
	if a.Reply.Code != 250 || a.Ret != "HDRS" || a.EnvID != "pf env 1" || strings.Join(a.Notify, ",") != "FAILURE,DELAY" {
		t.Errorf("the sink recorded %d RET %q ENVID %q NOTIFY %q; want 250 with Postfix passing on HDRS, \"pf env 1\", FAILURE,DELAY",
			a.Reply.Code, a.Ret, a.EnvID, a.Notify)
	}
	if typ, orcpt, _ := strings.Cut(a.ORCPT, ";"); !strings.EqualFold(typ, "rfc822") || !strings.EqualFold(orcpt, rcpt) {
		t.Errorf("ORCPT %q: want Postfix's rfc822;%s", a.ORCPT, rcpt)
	}
	// The attempt is stored with its message; the transcript when the
	// session ends, after Postfix's QUIT.
	var ss Session
	for ss.End.IsZero() {
		select {
		case <-ctx.Done():
			t.Fatalf("Postfix's session with the sink never ended; Postfix's log:\n%s", pf.Log())
		case <-time.After(50 * time.Millisecond):
		}
		if ss, err = SessionByID(ctx, st.DB(), a.Session); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains([]byte(ss.Transcript), []byte("ENVID=pf+20env+201")) {
		t.Errorf("the transcript does not show Postfix's ENVID in xtext:\n%s", ss.Transcript)
	}
}
