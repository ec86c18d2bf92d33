package relay

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/postfixtest"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
)

// TestThroughPostfixSmarthost sends from the relay through Postfix, an MTA
// no one here wrote, used as the relay's smarthost, to relaylab's sink: the
// relay records delivery when Postfix takes the message, and Postfix then
// delivers to the sink, or bounces to the sender what the sink refuses.
func TestThroughPostfixSmarthost(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	clk := clock.Real{}

	snk, sinkStore := startRealSink(ctx, t, clk)

	pf := postfixtest.Start(t, postfixtest.Options{RelayHost: snk.Addrs()["mx"].String()})

	relayStore := openStore(t, clk)
	r := startRealRelay(ctx, t, testConfig(pf.Addr), relayStore, clk)

	const (
		from    = "alice@sender.test"
		ok      = "bob@rcpt.test"
		refused = "rcpt550+carol@rcpt.test" // the sink answers 550 5.1.1 (sink/DIRECTIVES.md)
	)
	id, err := r.Enqueue(ctx, Submission{From: from, Recipients: []Recipient{{Address: ok}, {Address: refused}},
		Data: []byte("From: " + from + "\r\nTo: " + ok + ", " + refused + "\r\nSubject: via postfix\r\n\r\nHello through Postfix.\r\n")})
	if err != nil {
		t.Fatal(err)
	}

	// poll waits until cond holds; attempts reach the sink's store when
	// their sessions end.
	poll := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("waiting for %s: %v", what, ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	terminal := func() map[string][]string {
		evs, err := relayStore.Events(ctx, events.Filter{Message: id, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, e := range evs {
			if events.Terminal(e.Kind) {
				out[e.Recipient] = append(out[e.Recipient], e.Kind)
			}
		}
		return out
	}
	poll("the relay to hand both recipients to Postfix", func() bool { return len(terminal()) == 2 })
	// Postfix accepts both for onward delivery: to the relay, both are delivered.
	for _, rcpt := range []string{ok, refused} {
		if got := terminal()[rcpt]; !reflect.DeepEqual(got, []string{events.RelayDelivered}) {
			t.Errorf("%s: relay terminal events %v, want [%s]", rcpt, got, events.RelayDelivered)
		}
	}
	// The attempt holds the conversation with the real Postfix.
	atts, err := relayStore.Events(ctx, events.Filter{Message: id, Kinds: []string{events.RelayAttempt}, Limit: 1000})
	if err != nil || len(atts) != 2 {
		t.Fatalf("%d attempt events (%v), want 2", len(atts), err)
	}
	var ap struct{ Transcript string }
	if err := json.Unmarshal(atts[0].Payload, &ap); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"S: 220 ", "Postfix", "C: EHLO ", "C: RCPT TO:<" + refused + ">", "C: .", "S: 250 "} {
		if !strings.Contains(ap.Transcript, want) {
			t.Errorf("transcript with Postfix lacks %q:\n%s", want, ap.Transcript)
		}
	}
	if strings.Contains(ap.Transcript, "Hello through Postfix") {
		t.Errorf("transcript holds the message:\n%s", ap.Transcript)
	}

	attempts := func(rcpt string) []sink.Attempt {
		atts, err := sink.Attempts(ctx, sinkStore.DB(), rcpt)
		if err != nil {
			t.Fatal(err)
		}
		return atts
	}
	poll("Postfix to deliver to the sink", func() bool { return len(attempts(ok)) > 0 && len(attempts(refused)) > 0 })
	if a := attempts(ok); len(a) != 1 || a[0].Reply.Code != 250 || a[0].Sender != from || a[0].Message == 0 {
		t.Errorf("sink attempts for %s: %+v, want one accepted message from %s", ok, a, from)
	}
	if a := attempts(refused); len(a) != 1 || a[0].Reply.Code != 550 {
		t.Errorf("sink attempts for %s: %+v, want one refused with 550", refused, a)
	}
	if err := pf.WaitLog(ctx, "status=sent"); err != nil {
		t.Error(err)
	}
	// The refusal comes back the way it does in the world: Postfix bounces
	// to the sender, through its relayhost, with the null reverse path.
	poll("Postfix's bounce to the sender", func() bool { return len(attempts(from)) > 0 })
	if a := attempts(from); a[0].Sender != "" || a[0].Reply.Code != 250 {
		t.Errorf("sink attempts for %s: %+v, want Postfix's bounce from <> accepted", from, a)
	}
	if !strings.Contains(pf.Log(), "to=<"+refused+">") || !strings.Contains(pf.Log(), "status=bounced") {
		t.Errorf("Postfix's log does not show %s bounced", refused)
	}
}

// TestPostfixBounceMatched runs a real bounce round trip: the relay submits
// (over SMTP, so with its Received field, and with NOTIFY, ORCPT and RET)
// to Postfix as its smarthost, Postfix's next hop refuses one recipient,
// and the DSN that Postfix itself writes is fed back to the relay's bounce
// address. The relay has neither VERP nor ENVID to go by: it finds the
// message by its Received field in the returned headers, and marks only the
// refused recipient bounced, with Postfix's reply.
func TestPostfixBounceMatched(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	clk := clock.Real{}
	snk, sinkStore := startRealSink(ctx, t, clk)
	pf := postfixtest.Start(t, postfixtest.Options{RelayHost: snk.Addrs()["mx"].String()})

	relayStore := openStore(t, clk)
	cfg := testConfig(pf.Addr)
	cfg.Listen = "127.0.0.1:0"
	r := startRealRelay(ctx, t, cfg, relayStore, clk)

	const (
		from    = "alice@sender.test"
		ok      = "bob@rcpt.test"
		refused = "rcpt550+carol@rcpt.test" // the sink answers 550 5.1.1
		orcpt   = "Carol.Original@list.test"
	)
	c := dialSubmission(t, r.Addr().String(), false)
	if err := c.Mail(from, &smtp.MailOptions{Return: smtp.DSNReturnHeaders}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(ok, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(refused, &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure},
		OriginalRecipientType: smtp.DSNAddressTypeRFC822, OriginalRecipient: orcpt}); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("From: " + from + "\r\nTo: " + ok + "\r\nSubject: bounce round trip\r\nMessage-ID: <rt1@sender.test>\r\n\r\nHello.\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()

	poll := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("waiting for %s: %v", what, ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	attempts := func(rcpt string) []sink.Attempt {
		atts, err := sink.Attempts(ctx, sinkStore.DB(), rcpt)
		if err != nil {
			t.Fatal(err)
		}
		return atts
	}
	poll("Postfix's bounce to the sender", func() bool {
		a := attempts(from)
		return len(a) > 0 && a[0].Message != 0
	})
	bounce, err := sink.MessageByID(ctx, sinkStore.DB(), attempts(from)[0].Message)
	if err != nil {
		t.Fatal(err)
	}
	// Postfix was given NOTIFY and ORCPT (RFC 3461) and says so in its DSN.
	if !strings.Contains(string(bounce.Raw), "Original-Recipient: rfc822;"+orcpt) {
		t.Errorf("Postfix's DSN lacks the ORCPT the relay passed on:\n%s", bounce.Raw)
	}

	queued, err := relayStore.Events(ctx, events.Filter{Kinds: []string{events.RelayQueued}, Limit: 10})
	if err != nil || len(queued) == 0 {
		t.Fatalf("no queued event (%v)", err)
	}
	id := queued[0].Message
	poll("both recipients handed to Postfix", func() bool {
		evs, _ := relayStore.Events(ctx, events.Filter{Message: id, Kinds: []string{events.RelayDelivered}, Limit: 10})
		return len(evs) == 2
	})

	// Feed Postfix's own DSN to the relay, as the sender's MX would.
	bc := dialSubmission(t, r.Addr().String(), false)
	if err := bc.SendMail("", []string{"bounces@" + cfg.Hostname}, strings.NewReader(string(bounce.Raw))); err != nil {
		t.Fatalf("the relay refused Postfix's DSN: %v\n%s", err, bounce.Raw)
	}
	bounced, err := relayStore.Events(ctx, events.Filter{Message: id, Kinds: []string{events.RelayBounced}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(bounced) != 1 || bounced[0].Recipient != refused {
		t.Fatalf("bounced events %v, want one for %s", bounced, refused)
	}
	p := payload(t, bounced[0])
	rep, _ := p["reply"].(map[string]any)
	if p["async"] != true || rep["code"] != 550.0 || rep["enhanced"] != "5.1.1" || p["category"] != "invalid-recipient" {
		t.Errorf("async bounce %s, want Postfix's 550 5.1.1 as invalid-recipient", bounced[0].Payload)
	}
}

// TestPostfixSubmitsToRelay has a real Postfix relay through relaylab's
// relay: Postfix pipelines, and the relay must take and pass on what
// Postfix passes it, SMTPUTF8, BODY=8BITMIME and the RFC 3461 parameters
// (RET, ENVID, NOTIFY, ORCPT), to the next hop unchanged.
func TestPostfixSubmitsToRelay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	clk := clock.Real{}
	mta := startMTA(t, func(f *fakeMTA) { f.utf8 = true })
	cfg := testConfig(mta.addr)
	cfg.Listen = "127.0.0.1:0"
	r, err := New(cfg, Options{Store: openStore(t, clk), Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		r.Shutdown(sctx)
	})
	pf := postfixtest.Start(t, postfixtest.Options{RelayHost: r.Addr().String()})

	const from, envid = "jürgen@sender.test", "batch+7 x"
	c := dialSubmission(t, pf.Addr, false)
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, &smtp.MailOptions{UTF8: true, Body: smtp.Body8BitMIME, Return: smtp.DSNReturnHeaders, EnvelopeID: envid}); err != nil {
		t.Fatal(err)
	}
	rcpts := map[string]smtp.RcptOptions{
		"b@rcpt.test": {Notify: []smtp.DSNNotify{smtp.DSNNotifySuccess, smtp.DSNNotifyFailure},
			OriginalRecipientType: smtp.DSNAddressTypeRFC822, OriginalRecipient: "B+list@rcpt.test"},
		"c@rcpt.test": {Notify: []smtp.DSNNotify{smtp.DSNNotifyNever}},
	}
	// Postfix sends an ORCPT of its own for a recipient that came without.
	wantORCPT := map[string]string{"b@rcpt.test": "B+list@rcpt.test", "c@rcpt.test": "c@rcpt.test"}
	for _, to := range []string{"b@rcpt.test", "c@rcpt.test"} {
		o := rcpts[to]
		if err := c.Rcpt(to, &o); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("From: " + from + "\r\nSubject: Grüße\r\n\r\nSchöne Grüße.\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	for len(mta.received()) == 0 {
		if log := pf.Log(); strings.Contains(log, "status=bounced") {
			t.Fatalf("Postfix bounced the message instead of relaying it:\n%s", log)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("nothing reached the next hop: %v\nPostfix log:\n%s", ctx.Err(), pf.Log())
		case <-time.After(200 * time.Millisecond):
		}
	}
	m := mta.received()[0]
	if m.from != from || len(m.to) != 2 {
		t.Fatalf("next hop got from %q to %v, want from %q to both", m.from, m.to, from)
	}
	if !m.mailP.UTF8 || m.mailP.Body != smtp.Body8BitMIME || m.mailP.Return != smtp.DSNReturnHeaders || m.mailP.EnvelopeID != envid {
		t.Errorf("next hop's MAIL parameters %+v, want SMTPUTF8, BODY=8BITMIME, RET=HDRS, ENVID=%q", *m.mailP, envid)
	}
	mta.mu.Lock()
	got := maps.Clone(mta.rcptOpts)
	mta.mu.Unlock()
	for to, want := range rcpts {
		if g := got[to]; !reflect.DeepEqual(g.Notify, want.Notify) || g.OriginalRecipient != wantORCPT[to] {
			t.Errorf("%s: next hop's RCPT parameters %+v, want NOTIFY %v and ORCPT %q", to, g, want.Notify, wantORCPT[to])
		}
	}
	if !strings.Contains(string(m.data), "Schöne Grüße.") || strings.Count(string(m.data), "Received: ") < 2 {
		t.Errorf("next hop's message lost its 8-bit body or the Received fields of Postfix and the relay:\n%s", m.data)
	}
	// Postfix logs status=sent once it has read the relay's 250, which
	// the relay gives before it delivers to the next hop: the line may
	// come after the message got there.
	for !strings.Contains(pf.Log(), "status=sent") {
		select {
		case <-ctx.Done():
			t.Fatalf("Postfix's log does not show the message sent:\n%s", pf.Log())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startRealSink starts relaylab's sink on 127.0.0.1:0 with its own store
// and no bounce relay, on the real clock, for tests where an outside MTA
// delivers to it; it stops when the test ends.
func startRealSink(ctx context.Context, t *testing.T, clk clock.Clock) (*sink.Sink, *store.Store) {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: clk, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := sink.DefaultConfig()
	cfg.Listeners = []sink.ListenerConfig{sink.DefaultListener("mx", "127.0.0.1:0", "sink.test")}
	cfg.Bounce.Relay = ""
	snk, err := sink.New(cfg, sink.Options{Store: st, Clock: clk, Logger: quiet, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := snk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		snk.Shutdown(sctx)
	})
	return snk, st
}

// startRealRelay starts a relay with cfg on st and clk, quiet, stopped
// when the test ends.
func startRealRelay(ctx context.Context, t *testing.T, cfg Config, st *store.Store, clk clock.Clock) *Relay {
	t.Helper()
	r, err := New(cfg, Options{Store: st, Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(sctx)
	})
	return r
}
