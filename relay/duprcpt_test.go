package relay

import (
	"testing"

	"github.com/emersion/go-smtp"
)

// TestDuplicateRecipientsSentOnce: a recipient given twice in one
// transaction (its domain in another case too) is taken with 250 and
// queued once, as Postfix's cleanup drops duplicates; the relay sent RCPT
// for it twice. Another local part, or the same address with other DSN
// parameters, is another recipient.
func TestDuplicateRecipientsSentOnce(t *testing.T) {
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
	never := &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyNever}}
	for _, r := range []struct {
		to   string
		opts *smtp.RcptOptions
	}{{"bob@r.test", nil}, {"bob@R.TEST", nil}, {"bob@r.test", nil}, {"Bob@r.test", nil}, {"bob@r.test", never}} {
		if err := c.Rcpt(r.to, r.opts); err != nil {
			t.Fatalf("RCPT %s: %v; want 250", r.to, err)
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
	list, err := h.r.List(t.Context(), QueueFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("queue: %d messages (%v); want 1", len(list), err)
	}
	var got []string
	for _, rc := range list[0].Recipients {
		got = append(got, rc.Address)
	}
	if len(got) != 3 || got[0] != "bob@r.test" || got[1] != "Bob@r.test" || got[2] != "bob@r.test" {
		t.Errorf("recipients %q; want bob@r.test, Bob@r.test and bob@r.test with NOTIFY=NEVER", got)
	}
}
