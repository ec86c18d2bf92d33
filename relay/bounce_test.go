package relay

import (
	"context"
	"net"
	"net/textproto"
	"reflect"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// bounceReply sends body to the relay's submission listener from a null
// sender to rcpts, and returns the reply to the last command: the end of
// DATA, or the first refused RCPT.
func bounceReply(t *testing.T, addr string, rcpts []string, body string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tp := textproto.NewConn(c)
	step := func(line string, want int) (int, string, bool) {
		t.Helper()
		if line != "" {
			tp.PrintfLine("%s", line)
		}
		code, msg, err := tp.ReadResponse(want)
		if code == 0 {
			t.Fatalf("%q: %v", line, err)
		}
		return code, msg, err == nil
	}
	step("", 220)
	step("EHLO mta.test", 250)
	step("MAIL FROM:<>", 250)
	for _, r := range rcpts {
		if code, msg, ok := step("RCPT TO:<"+r+">", 250); !ok {
			return code, msg
		}
	}
	step("DATA", 354)
	w := tp.DotWriter()
	w.Write([]byte(body))
	w.Close()
	code, msg, _ := step("", 250)
	return code, msg
}

// dsnFor builds a DSN reporting rcpt with action, sent to to.
func dsnFor(t *testing.T, to, envid, rcpt, action string) string {
	t.Helper()
	rc := dsn.Recipient{FinalRecipient: rcpt, Action: action, Status: "5.1.1", DiagnosticCode: "550 5.1.1 no such user"}
	switch action {
	case dsn.ActionDelayed:
		rc.Status, rc.DiagnosticCode = "4.4.7", ""
	case dsn.ActionDelivered, dsn.ActionRelayed:
		rc.Status, rc.DiagnosticCode = "2.0.0", "" // RFC 3464 2.3.4: the status agrees with the action
	}
	raw, err := dsn.Build(dsn.BuildOptions{To: to, MessageID: "<b@mta.test>", Date: epoch},
		dsn.Report{ReportingMTA: "mta.test", EnvelopeID: envid, Recipients: []dsn.Recipient{rc}})
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// Mail to the bounce address is decided before the reply to DATA: what the
// relay can use is recorded and gets 250, anything else a 5xx that says
// why. Nothing gets 250 and is then dropped.
func TestBounceAddressRefusesWhatItCannotUse(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.DSN.VERP = true
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	id, err := h.r.Enqueue(ctx, Submission{From: "a@s.test", EnvID: "env-1", Data: []byte("Subject: 1\r\n\r\nx\r\n"),
		Recipients: []Recipient{{Address: "v@r.test"}, {Address: "w@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("delivery", h.done(id, 2))
	verp := h.returnPath(id, "v@r.test", "w@r.test")
	base := "bounces@relaylab.localhost"
	addr := h.r.Addr().String()
	tests := []struct {
		name string
		to   string
		body string
		code int
		want string // in the reply
	}{
		{"plain mail", base, "Subject: hello\r\n\r\nJust saying hi.\r\n", 550, "5.6.0 Not a delivery status notification"},
		{"DSN naming no message", base, dsnFor(t, base, "unknown-env", "v@r.test", dsn.ActionFailed), 550, "5.6.0"},
		{"DSN for a message we never had", dsn.VERPAddress(base, "no-such-id"), dsnFor(t, base, "", "v@r.test", dsn.ActionFailed), 550, "5.6.0"},
		{"DSN for someone else's recipient", verp, dsnFor(t, verp, "", "stranger@r.test", dsn.ActionFailed), 550, "5.6.0"},
		// A delay or success DSN, sent back for a NOTIFY the relay passed
		// on, is taken (and records nothing).
		{"DSN reporting only a delay", verp, dsnFor(t, verp, "", "v@r.test", dsn.ActionDelayed), 250, ""},
		{"DSN reporting a delivery", verp, dsnFor(t, verp, "", "w@r.test", dsn.ActionDelivered), 250, ""},
		{"DSN by VERP", verp, dsnFor(t, verp, "", "v@r.test", dsn.ActionFailed), 250, ""},
		{"the same DSN again", verp, dsnFor(t, verp, "", "v@r.test", dsn.ActionFailed), 250, ""},
		// From a client that may not submit, only the signed return
		// path counts: the ENVID is the sender's own, others may know it.
		{"DSN by ENVID from outside", base, dsnFor(t, base, "env-1", "w@r.test", dsn.ActionFailed), 550, "5.6.0 Not a delivery status notification this relay can check"},
		{"DSN by the bare queue id", dsn.VERPAddress(base, id), dsnFor(t, base, "", "w@r.test", dsn.ActionFailed), 550, "5.6.0 Not a delivery status notification this relay can check"},
		{"DSN by VERP for the other recipient", verp, dsnFor(t, verp, "", "w@r.test", dsn.ActionFailed), 250, ""},
	}
	for _, tt := range tests {
		code, msg := bounceReply(t, addr, []string{tt.to}, tt.body)
		if code != tt.code || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: %d %s, want %d %s", tt.name, code, msg, tt.code, tt.want)
		}
		if code/100 == 5 && len(msg) < 40 {
			t.Errorf("%s: %d %q does not say why", tt.name, code, msg)
		}
	}
	b := h.events(events.Filter{Kinds: []string{events.RelayBounced}})
	if len(b) != 2 || b[0].Recipient != "v@r.test" || b[1].Recipient != "w@r.test" {
		t.Errorf("bounced events %v, want one for v@r.test and one for w@r.test", b)
	}
	// The DSN by VERP gets the sender a DSN of the relay's own (its
	// dsn_for names the message); none of the incoming ones is relayed.
	if list, _ := h.r.List(ctx, QueueFilter{}); len(notDSNs(list)) != 1 {
		t.Errorf("the queue holds %d messages besides the relay's own DSNs, want only the one sent", len(notDSNs(list)))
	}
}

// A DSN that cannot be recorded is deferred, not acknowledged.
func TestBounceAddressStoreFailureDefers(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.DSN.VERP = true
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "v@r.test")
	h.runUntil("delivery", h.done(id, 1))
	h.store.Close()
	verp := dsn.VERPAddress("bounces@relaylab.localhost", id)
	code, msg := bounceReply(t, h.r.Addr().String(), []string{verp}, dsnFor(t, verp, "", "v@r.test", dsn.ActionFailed))
	if code != 451 || !strings.HasPrefix(msg, "4.3.0") {
		t.Errorf("DSN with the store closed: %d %s, want 451 4.3.0", code, msg)
	}
}

// A DSN and mail to relay do not share a transaction: DATA has one reply,
// and the two can fail for different reasons.
func TestBounceAddressNotMixedWithRelaying(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	for _, rcpts := range [][]string{
		{"bounces@relaylab.localhost", "x@r.test"},
		{"x@r.test", "bounces@relaylab.localhost"},
	} {
		code, msg := bounceReply(t, h.r.Addr().String(), rcpts, "Subject: hi\r\n\r\nx\r\n")
		if code != 452 || !strings.HasPrefix(msg, "4.5.3") {
			t.Errorf("RCPT %v: %d %s, want the second refused with 452 4.5.3", rcpts, code, msg)
		}
	}
}

// TestAsyncBounceByOriginalRecipient: an upstream that rewrote the address
// (an alias or a forward) bounces with a Final-Recipient the relay never
// sent to; its Original-Recipient still names the relay's recipient.
func TestAsyncBounceByOriginalRecipient(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	// The sender's own MX, which may submit, hands the bounce on: by
	// its ENVID, which a client outside could not use.
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	id, err := h.r.Enqueue(ctx, Submission{From: "a@s.test", EnvID: "env-9", Data: []byte("Subject: 1\r\n\r\nx\r\n"),
		Recipients: []Recipient{{Address: "List@r.test"}, {Address: "other@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("delivery", h.done(id, 2))
	raw, err := dsn.Build(dsn.BuildOptions{To: "a@s.test", MessageID: "<b2@mta.test>", Date: epoch}, dsn.Report{
		ReportingMTA: "mta.test", EnvelopeID: "env-9",
		Recipients: []dsn.Recipient{{OriginalRecipient: "list@r.test", FinalRecipient: "member@elsewhere.test", Action: dsn.ActionFailed,
			Status: "5.1.1", DiagnosticCode: "550 5.1.1 no such user"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := dialSubmission(t, h.r.Addr().String(), false)
	if err := c.SendMail("", []string{"bounces@relaylab.localhost"}, strings.NewReader(string(raw))); err != nil {
		t.Fatalf("DSN refused: %v", err)
	}
	got := h.terminal(id)
	if !reflect.DeepEqual(got["List@r.test"], []string{events.RelayDelivered, events.RelayBounced}) ||
		!reflect.DeepEqual(got["other@r.test"], []string{events.RelayDelivered}) {
		t.Errorf("terminal events %v, want List@r.test delivered then bounced, other@r.test only delivered", got)
	}
}

// TestAsyncBounceByEscapedUTF8ORCPT: an upstream's ASCII DSN carries a
// utf-8 ORCPT in its utf-8-addr-xtext form (RFC 6533 3: "+" as \x{2B});
// the relay reads it back to the address and matches its recipient.
func TestAsyncBounceByEscapedUTF8ORCPT(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, submitConfig(mta.addr), Options{})
	id, err := h.r.Enqueue(context.Background(), Submission{From: "a@s.test", Data: []byte("Subject: 1\r\n\r\nx\r\n"),
		Recipients: []Recipient{{Address: "list@r.test", ORCPT: "utf-8;List+x=1@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("delivery", h.done(id, 1))
	raw, err := dsn.Build(dsn.BuildOptions{To: h.returnPath(id, "list@r.test"), MessageID: "<b4@mta.test>", Date: epoch},
		dsn.Report{ReportingMTA: "mta.test", Recipients: []dsn.Recipient{{OriginalRecipient: "utf-8;List+x=1@r.test",
			FinalRecipient: "member@elsewhere.test", Action: dsn.ActionFailed, Status: "5.1.1", DiagnosticCode: "550 5.1.1 no such user"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `Original-Recipient: utf-8;List\x{2B}x\x{3D}1@r.test`) {
		t.Fatalf("the upstream's DSN does not carry the escaped form:\n%s", raw)
	}
	if code, msg := bounceReply(t, h.r.Addr().String(), []string{h.returnPath(id, "list@r.test")}, string(raw)); code != 250 {
		t.Fatalf("DSN: %d %s, want 250", code, msg)
	}
	if got := h.terminal(id); !reflect.DeepEqual(got["list@r.test"], []string{events.RelayDelivered, events.RelayBounced}) {
		t.Errorf("terminal events %v, want list@r.test delivered then bounced", got)
	}
}

// notDSNs is the messages of list that are not DSNs the relay wrote.
func notDSNs(list []MessageInfo) []MessageInfo {
	var out []MessageInfo
	for _, m := range list {
		if m.DSNFor == "" {
			out = append(out, m)
		}
	}
	return out
}
