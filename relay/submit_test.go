package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// submitConfig is testConfig with a submission listener that allows no
// network without AUTH.
func submitConfig(upstream string) Config {
	c := testConfig(upstream)
	c.Listen = "127.0.0.1:0"
	c.AllowedNetworks = []string{"10.0.0.0/8"}
	c.Users = map[string]string{"alice": "s3cret"}
	return c
}

func dialSubmission(t *testing.T, addr string, startTLS bool) *smtp.Client {
	t.Helper()
	var c *smtp.Client
	var err error
	if startTLS {
		c, err = smtp.DialStartTLS(addr, &tls.Config{InsecureSkipVerify: true})
	} else {
		c, err = smtp.Dial(addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestNeverAnOpenRelay(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, submitConfig(mta.addr), Options{})
	addr := h.r.Addr().String()
	tests := []struct {
		name  string
		run   func(c *smtp.Client) error
		code  int
		stage string
	}{
		{"mail without auth", func(c *smtp.Client) error { return c.Mail("spammer@evil.test", nil) }, 530, "mail"},
		{"rcpt after a null sender", func(c *smtp.Client) error {
			if err := c.Mail("", nil); err != nil {
				return err
			}
			return c.Rcpt("victim@elsewhere.test", nil)
		}, 550, "rcpt"},
		{"auth without tls", func(c *smtp.Client) error { return c.Auth(sasl.NewPlainClient("", "alice", "s3cret")) }, 0, "auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := dialSubmission(t, addr, false)
			err := tt.run(c)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.code != 0 && smtpCode(err) != tt.code {
				t.Errorf("reply %v, want %d", err, tt.code)
			}
			// In plaintext, a 530 says where AUTH is (walk M: swaks
			// said only "Host did not advertise authentication").
			if tt.code == 530 && !strings.Contains(err.Error(), "AUTH is offered after STARTTLS") {
				t.Errorf("reply %v, want it to say that AUTH comes after STARTTLS", err)
			}
		})
	}
	t.Run("mail without auth after STARTTLS", func(t *testing.T) {
		t.Parallel()
		c := dialSubmission(t, addr, true)
		if err := c.Mail("spammer@evil.test", nil); smtpCode(err) != 530 || strings.Contains(err.Error(), "after STARTTLS") {
			t.Errorf("MAIL over TLS without AUTH: %v, want 530 without the STARTTLS hint", err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		c := dialSubmission(t, addr, true)
		if err := c.Auth(sasl.NewPlainClient("", "alice", "wrong")); smtpCode(err) != 535 {
			t.Errorf("AUTH with a wrong password: %v, want 535", err)
		}
	})
	// Cleanup runs after the parallel subtests end.
	t.Cleanup(func() {
		list, err := h.r.List(context.Background(), QueueFilter{})
		if err != nil || len(list) != 0 {
			t.Errorf("queue holds %d messages after refused submissions (%v)", len(list), err)
		}
	})
}

func TestSubmitWithAuth(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, submitConfig(mta.addr), Options{})
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		c := dialSubmission(t, h.r.Addr().String(), true)
		var a sasl.Client = sasl.NewPlainClient("", "alice", "s3cret")
		if mech == "LOGIN" {
			a = sasl.NewLoginClient("alice", "s3cret")
		}
		if err := c.Auth(a); err != nil {
			t.Fatalf("AUTH %s: %v", mech, err)
		}
		if err := c.Mail("alice@s.test", &smtp.MailOptions{EnvelopeID: "e-" + mech, Return: smtp.DSNReturnFull}); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("bob@r.test", &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed},
			OriginalRecipientType: smtp.DSNAddressTypeRFC822, OriginalRecipient: "Bob@R.test"}); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("Subject: hi\r\n\r\nbody " + mech + "\r\n"))
		// The 250 comes only after the commit: the message is queued now.
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		list, err := h.r.List(context.Background(), QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var found *MessageInfo
		for i := range list {
			if list[i].EnvID == "e-"+mech {
				found = &list[i]
			}
		}
		if found == nil {
			t.Fatalf("AUTH %s: message not in the queue after 250", mech)
		}
		if found.AuthUser != "alice" || found.Ret != "FULL" || found.Recipients[0].Notify != "FAILURE,DELAY" || found.Recipients[0].ORCPT != "rfc822;Bob@R.test" {
			t.Errorf("stored %+v %+v", found, found.Recipients[0])
		}
		c.Quit()
	}
	h.runUntil("delivery", func() bool { return len(mta.received()) == 2 })
	for _, m := range mta.received() {
		if m.mailP == nil || !strings.HasPrefix(m.mailP.EnvelopeID, "e-") || m.mailP.Return != smtp.DSNReturnFull {
			t.Errorf("DSN parameters not passed upstream: %+v", m.mailP)
		}
	}
}

func TestSizeLimit(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	cfg.MaxMessageBytes = 1000
	h := newHarness(t, cfg, Options{})
	c := dialSubmission(t, h.r.Addr().String(), false)
	if err := c.Mail("a@s.test", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@r.test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 70)+"\r\n", 100)))
	if err := w.Close(); smtpCode(err) != 552 {
		t.Errorf("oversized message: %v, want 552", err)
	}
	if list, _ := h.r.List(context.Background(), QueueFilter{}); len(list) != 0 {
		t.Errorf("oversized message queued")
	}
}

func TestAsyncBounceByVERPAndENVID(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.DSN.VERP = true
	// The DSNs come from a client that may submit (the sender's own MX
	// handing them on): from outside, the ENVID alone is refused
	// (TestForgedDSNsFromOutsideAreRefused).
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	idV, err := h.r.Enqueue(ctx, Submission{From: "a@s.test", Data: []byte("Subject: 1\r\n\r\nx\r\n"), Recipients: []Recipient{{Address: "v@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	idE, err := h.r.Enqueue(ctx, Submission{From: "a@s.test", EnvID: "campaign-7", Data: []byte("Subject: 2\r\n\r\nx\r\n"), Recipients: []Recipient{{Address: "e@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("delivery", func() bool { return h.done(idV, 1)() && h.done(idE, 1)() })
	var verp string
	for _, m := range mta.received() {
		if m.to[0] == "v@r.test" {
			verp = m.from
		}
	}
	if tag, ok := dsn.VERPTag(verp); !ok || !strings.HasPrefix(tag, idV+".") {
		t.Fatalf("return path %q does not carry the message id %s", verp, idV)
	}
	// The receiver bounces later: a DSN comes back to the return path.
	send := func(to, envid, rcpt string) {
		raw, err := dsn.Build(dsn.BuildOptions{To: to, MessageID: "<b@mta.test>", Date: epoch}, dsn.Report{
			ReportingMTA: "mta.test", EnvelopeID: envid,
			Recipients: []dsn.Recipient{{FinalRecipient: rcpt, Action: dsn.ActionFailed, Status: "5.1.1", DiagnosticCode: "550 5.1.1 no such user"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := dialSubmission(t, h.r.Addr().String(), false)
		if err := c.SendMail("", []string{to}, strings.NewReader(string(raw))); err != nil {
			t.Fatalf("DSN to %s refused: %v", to, err)
		}
	}
	send(verp, "", "v@r.test")
	send("bounces@relaylab.localhost", "campaign-7", "e@r.test")
	for id, rcpt := range map[string]string{idV: "v@r.test", idE: "e@r.test"} {
		kinds := h.terminal(id)[rcpt]
		if !reflect.DeepEqual(kinds, []string{events.RelayDelivered, events.RelayBounced}) {
			t.Errorf("%s: terminal events %v, want delivered then the async bounce", rcpt, kinds)
		}
		b := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}})
		if len(b) != 1 || payload(t, b[0])["suppressed"] != true || payload(t, b[0])["suppression_reason"] == nil {
			t.Errorf("%s: async bounce events %v, want one that says the address is suppressed", rcpt, b)
		}
		m, _ := h.r.Message(ctx, id)
		if m.Recipients[0].State != StateBounced || m.Recipients[0].Category != "invalid-recipient" {
			t.Errorf("%s: %+v, want bounced invalid-recipient", rcpt, m.Recipients[0])
		}
	}
	sups, err := h.r.Suppressions(ctx)
	if err != nil || len(sups) != 2 {
		t.Fatalf("suppressions %+v (%v), want both addresses", sups, err)
	}
	if list, _ := h.r.List(ctx, QueueFilter{}); len(notDSNs(list)) != 2 {
		t.Errorf("incoming DSNs were queued for relaying: %d messages besides the relay's own DSNs", len(notDSNs(list)))
	}
}

func TestSuppressionAPI(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, testConfig(mta.addr), Options{})
	ctx := context.Background()
	if err := h.r.Suppress(ctx, "Block@R.test", "complaint"); err != nil {
		t.Fatal(err)
	}
	if err := h.r.Suppress(ctx, "not-an-address", ""); err == nil {
		t.Error("Suppress accepted a non-address")
	}
	id := h.enqueue("a@s.test", "block@r.test", "ok@r.test")
	h.runUntil("done", h.done(id, 2))
	term := h.terminal(id)
	if !reflect.DeepEqual(term["block@r.test"], []string{events.RelaySuppressed}) || !reflect.DeepEqual(term["ok@r.test"], []string{events.RelayDelivered}) {
		t.Errorf("terminal %v", term)
	}
	if mta.rcpts["block@r.test"] != 0 {
		t.Error("suppressed address was sent to")
	}
	if ok, err := h.r.Unsuppress(ctx, "block@r.test"); !ok || err != nil {
		t.Fatalf("Unsuppress = %v, %v", ok, err)
	}
	id2 := h.enqueue("a@s.test", "block@r.test")
	h.runUntil("done", h.done(id2, 1))
	if k := h.terminal(id2)["block@r.test"]; !reflect.DeepEqual(k, []string{events.RelayDelivered}) {
		t.Errorf("after Unsuppress: %v", k)
	}
}

func TestSoftBouncesSuppress(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "full") }
	})
	cfg := testConfig(mta.addr)
	cfg.Retry.MaxAttempts = 1
	cfg.Suppression.SoftBounces = 2
	h := newHarness(t, cfg, Options{})
	for i := 0; i < 2; i++ {
		id := h.enqueue("", "full@r.test")
		h.runUntil("expiry", h.done(id, 1))
	}
	id := h.enqueue("", "full@r.test")
	h.runUntil("suppressed", h.done(id, 1))
	if k := h.terminal(id)["full@r.test"]; !reflect.DeepEqual(k, []string{events.RelaySuppressed}) {
		t.Errorf("third message after 2 soft bounces: %v, want suppressed", k)
	}
}
