package relay

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestRecordsAddressAsSent: what the relay records of a submission (the
// queue, the API, the CSV) is the address it echoed and sends on, quoted
// where its local part needs it and without a trailing dot on its domain,
// where it recorded <img src=x>|x|+rcpt550@example.test, which is no
// address, and x@auth.test. after echoing it.
func TestRecordsAddressAsSent(t *testing.T) {
	t.Parallel()
	rec := startRecorder(t)
	cfg := submitConfig(rec.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	submitRaw(t, h.r.Addr().String(), "EHLO c.test", `MAIL FROM:<"odd sender"@s.test.>`,
		`RCPT TO:<"<img src=x>|x|+rcpt550"@x.test>`, `RCPT TO:<"a\"b\\c"@x.test>`,
		`RCPT TO:<"plain"@x.test.>`, `RCPT TO:<"\"q\""@x.test>`, "DATA")
	list, err := h.r.List(context.Background(), QueueFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("queue: %d messages (%v), want 1", len(list), err)
	}
	want := []string{`"<img src=x>|x|+rcpt550"@x.test`, `"a\"b\\c"@x.test`, `plain@x.test`, `"\"q\""@x.test`}
	var got []string
	for _, rc := range list[0].Recipients {
		got = append(got, rc.Address)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("recorded recipients %q, want %q", got, want)
	}
	if s := list[0].Sender; s != `"odd sender"@s.test` {
		t.Errorf("recorded sender %q, want %q", s, `"odd sender"@s.test`)
	}
	id := list[0].ID
	h.runUntil("delivery", h.done(id, 4))
	for rcpt, kinds := range h.terminal(id) {
		if len(kinds) != 1 || kinds[0] != events.RelayDelivered {
			t.Errorf("%s: %v, want delivered", rcpt, kinds)
		}
	}
	// Recorded quoted, sent as recorded: not quoted a second time.
	sent := append(rec.commands("MAIL "), rec.commands("RCPT ")...)
	wantSent := []string{`MAIL FROM:<"odd sender"@s.test>`, `RCPT TO:<"<img src=x>|x|+rcpt550"@x.test>`,
		`RCPT TO:<"a\"b\\c"@x.test>`, `RCPT TO:<plain@x.test>`, `RCPT TO:<"\"q\""@x.test>`}
	if strings.Join(sent, "\n") != strings.Join(wantSent, "\n") {
		t.Errorf("sent\n%s\nwant\n%s", strings.Join(sent, "\n"), strings.Join(wantSent, "\n"))
	}
}

// TestPathEchoAsUsed: the 250 to MAIL and RCPT echoes the address as the
// relay will use it, without the trailing dot it drops, where it echoed
// <x@auth.test.> and then sent to x@auth.test.
func TestPathEchoAsUsed(t *testing.T) {
	t.Parallel()
	_, rc := rawSubmission(t)
	rc.cmd("EHLO client.test")
	for _, tt := range []struct{ cmd, want string }{
		{`MAIL FROM:<a@s.test.>`, `250 2.1.0 Sender <a@s.test> OK`},
		{`RCPT TO:<x@auth.test.>`, `250 2.1.5 Recipient <x@auth.test> OK`},
		{`RCPT TO:<"a b"@auth.test.>`, `250 2.1.5 Recipient <"a b"@auth.test> OK`},
	} {
		if got := rc.cmd(tt.cmd); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: %q; want %q", tt.cmd, got, tt.want)
		}
	}
}
