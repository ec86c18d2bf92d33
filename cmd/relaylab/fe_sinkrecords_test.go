package main

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// sendRaw sends one message over SMTP to the sink at addr, without
// STARTTLS, from from to to.
func sendRaw(t *testing.T, addr, from, to, msg string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(from); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, strings.ReplaceAll(msg, "\n", "\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
}

// TestExpectJudgesMessagesAndSenderDSNs: on a sink's store, two messages
// from one sender to one address are two records of one try each (by
// their Message-IDs), the DSN the sender's MTA sent back from <> is tied
// to the recipient it reports on (sender_dsn), and a session the sink
// refused at MAIL FROM is named, with its sender, when an expectation
// finds no recipient.
func TestExpectJudgesMessagesAndSenderDSNs(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, st, sk := startSinkStore(t)
	addr := sk.HostPorts()["mx"]
	// Refused at RCPT TO: the sender's MTA bounces it to the sender.
	if c, err := smtp.Dial(addr); err != nil {
		t.Fatal(err)
	} else {
		if err := c.Mail("app@s.test"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("rcpt550@x.test"); err == nil {
			t.Fatal("rcpt550@x.test was not refused")
		}
		c.Quit()
	}
	for _, id := range []string{"one@app.test", "two@app.test"} {
		sendRaw(t, addr, "app@s.test", "twice@x.test", "Message-ID: <"+id+">\nSubject: hi\n\nhello\n")
	}
	sendRaw(t, addr, "", "app@s.test", `From: MAILER-DAEMON@pf.test
To: app@s.test
Message-ID: <dsn1@pf.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

gave up

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; pf.test

Final-Recipient: rfc822; rcpt550@x.test
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 No such user here

--B--
`)
	// A session refused at MAIL FROM, as a rate limit refuses one.
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns, replies, transcript) VALUES (9000, 'slow', '127.0.0.1:9', ?, ?, ?, ?)`,
			time.Now().UnixNano(), time.Now().UnixNano(),
			`[{"t":0,"stage":"connect","code":220,"text":"ready"},{"t":0.01,"stage":"mail","code":421,"enhanced":"4.7.28","text":"unusual rate","by":"limits.rate"}]`,
			"0.000 S 220 ready\n0.005 C EHLO pf.test\n0.007 C MAIL FROM:<app@s.test> SIZE=408\n0.010 S 421 4.7.28 unusual rate\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	file := writeExpect(t, `  recipients:
    - {name: each-once, match: "twice@x.test", status: delivered, attempts: 1, count: 2}
    - {name: bounced-to-sender, match: "rcpt550@x.test", status: bounced, sender_dsn: failed, sender_dsn_status: "5.1"}
    - {name: refused-early, match: "ok@slow.test"}
`)
	code, out, errOut := runIn(t, ctx, "expect", "--db", db, file)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (refused-early fails)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"ok    each-once", "ok    bounced-to-sender", `FAIL  refused-early`,
		`1 at MAIL FROM on listener slow ("421 4.7.28 unusual rate", by limits.rate) from app@s.test`} {
		if !strings.Contains(out, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, out)
		}
	}
}
