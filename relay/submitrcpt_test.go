package relay

import (
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestRcptDomainChecked: a recipient domain that is no host name is
// refused at RCPT with 553 5.1.3 saying why, one trailing dot is dropped
// before routing, and an address literal is taken for a smarthost path
// and refused for an mx path, which would look it up as an MX name. The
// relay took all of them, then retried auth..test as a DNS failure for
// days and bounced auth.test. and [127.0.0.1] as domains that do not
// exist.
func TestRcptDomainChecked(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	c := dialSubmission(t, h.r.Addr().String(), false)
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@s.test", nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ rcpt, want string }{
		{"x@auth..test", "an empty label"},
		{"x@-auth.test", "starts or ends with a hyphen"},
		{"x@auth_x.test", "is not a letter, digit or hyphen"},
		{"x@auth.test..", "an empty label"},
	} {
		if err := c.Rcpt(tt.rcpt, nil); !refused(err, 553, smtp.EnhancedCode{5, 1, 3}, tt.want) {
			t.Errorf("RCPT %s: %v; want 553 5.1.3 saying %q", tt.rcpt, err, tt.want)
		}
	}
	for _, rcpt := range []string{"x@auth.test.", "y@[127.0.0.1]", "z@bücher.test"} {
		if err := c.Rcpt(rcpt, nil); err != nil {
			t.Errorf("RCPT %s: %v; want 250", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: hi\r\n\r\nHallo.\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	all, err := h.r.List(t.Context(), QueueFilter{})
	// The relay may already have tried the message and written a DSN
	// (the test's server takes no SMTPUTF8 recipient): not the one asked about.
	list := slices.DeleteFunc(all, func(m MessageInfo) bool { return m.IsDSN })
	if err != nil || len(list) != 1 {
		t.Fatalf("queue: %d messages besides DSNs (%v); want 1", len(list), err)
	}
	var got []string
	for _, rc := range list[0].Recipients {
		got = append(got, rc.Address)
	}
	if strings.Join(got, " ") != "x@auth.test y@[127.0.0.1] z@bücher.test" {
		t.Errorf("queued recipients %q; want x@auth.test (no trailing dot), y@[127.0.0.1], z@bücher.test", got)
	}

	// An mx path would look the literal up as an MX name.
	hm, _ := mxHarness(t, nil, func(c *Config) {
		c.Listen = "127.0.0.1:0"
		c.AllowedNetworks = []string{"127.0.0.0/8"}
	})
	cm := dialSubmission(t, hm.r.Addr().String(), false)
	if err := cm.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := cm.Mail("a@s.test", nil); err != nil {
		t.Fatal(err)
	}
	err = cm.Rcpt("y@[127.0.0.1]", nil)
	var se *smtp.SMTPError
	if !asSMTP(err, &se) || se.Code != 553 || !strings.Contains(se.Message, "does not deliver to address literals on mx paths") {
		t.Errorf("RCPT to an address literal on an mx path: %v; want 553 5.1.3 saying the relay does not deliver to it", err)
	}
}

func asSMTP(err error, se **smtp.SMTPError) bool {
	e, ok := err.(*smtp.SMTPError)
	*se = e
	return ok
}

// TestMailDomainChecked: a sender domain that is no host name is refused
// at MAIL with 553 5.1.7, as a recipient's is at RCPT: DSNs would go
// nowhere; it was accepted. A trailing dot, an address literal and the
// null sender pass.
func TestMailDomainChecked(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	c := dialSubmission(t, h.r.Addr().String(), false)
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ from, want string }{
		{"a@b..test", "an empty label"},
		{"a@-b.test", "starts or ends with a hyphen"},
	} {
		if err := c.Mail(tt.from, nil); !refused(err, 553, smtp.EnhancedCode{5, 1, 7}, tt.want) {
			t.Errorf("MAIL %s: %v; want 553 5.1.7 saying %q", tt.from, err, tt.want)
		}
	}
	for _, from := range []string{"a@s.test.", "a@[127.0.0.1]", ""} {
		if err := c.Mail(from, nil); err != nil {
			t.Errorf("MAIL %q: %v; want 250", from, err)
		}
		c.Reset()
	}
}

// refused reports whether err is the SMTP reply code and enh whose text
// holds want.
func refused(err error, code int, enh smtp.EnhancedCode, want string) bool {
	var se *smtp.SMTPError
	return asSMTP(err, &se) && se.Code == code && se.EnhancedCode == enh && strings.Contains(se.Message, want)
}
