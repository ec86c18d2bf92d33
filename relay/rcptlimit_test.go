package relay

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// rcptLimit makes f refuse, with 452 4.5.3, each RCPT over limit since
// the count was last reset: at each MAIL when perTransaction, else never
// (a limit per connection: the tests below use one connection at a time).
// first refuses every first RCPT of a transaction instead.
func rcptLimit(f *fakeMTA, limit int, perTransaction bool) {
	var mu sync.Mutex
	taken := 0
	f.onMail = func(string) error {
		mu.Lock()
		defer mu.Unlock()
		if perTransaction {
			taken = 0
		}
		return nil
	}
	f.onRcpt = func(string) error {
		mu.Lock()
		defer mu.Unlock()
		if taken >= limit {
			return smtpErr(452, smtp.EnhancedCode{4, 5, 3}, fmt.Sprintf("Too many recipients: at most %d per transaction", limit))
		}
		taken++
		return nil
	}
}

func rcptList(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("r%d@limit.test", i))
	}
	return out
}

// transactionSizes are the recipients of each message the server took,
// in order.
func transactionSizes(f *fakeMTA) []int {
	var out []int
	for _, m := range f.received() {
		out = append(out, len(m.to))
	}
	return out
}

// TestRcptLimitSentAgainAtOnce: a server that takes at most 3 recipients
// per transaction and answers 452 4.5.3 to the others gets a message to 8
// in three transactions on one connection, in the first pass, with no
// retry delay: each refused recipient is sent again at once, at most 3 a
// transaction. Each 452 is an attempt of its own, with its transaction's
// transcript, and no destination rests (the 452's "too many" is no rate
// limit). Before, the 5 refused were deferred to the retry schedule and
// the destination rested as rate-limited.
func TestRcptLimitSentAgainAtOnce(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) { rcptLimit(f, 3, true) })
	h := newHarness(t, testConfig(mta.addr), Options{})
	to := rcptList(8)
	id := h.enqueue("a@s.test", to...)
	h.runUntil("all recipients final", h.done(id, 8))
	for _, rc := range to {
		if got := h.terminal(id)[rc]; len(got) != 1 || got[0] != events.RelayDelivered {
			t.Errorf("%s: %v, want delivered", rc, got)
		}
		for _, at := range h.attemptTimes(id, rc) {
			if at != 0 {
				t.Errorf("%s: an attempt at +%v, want all in the first pass (+0s)", rc, at)
			}
		}
	}
	if got := transactionSizes(mta); fmt.Sprint(got) != "[3 3 2]" {
		t.Errorf("transactions of %v recipients, want [3 3 2]", got)
	}
	mta.mu.Lock()
	conns1 := mta.conns
	mta.mu.Unlock()
	if conns1 != 1 {
		t.Errorf("%d connections, want 1: the transactions go on the same connection", conns1)
	}
	mta.mu.Lock()
	for i, rc := range to {
		want := 1
		if i >= 3 { // r4..r8 were refused once
			want = 2
		}
		if mta.rcpts[rc] != want {
			t.Errorf("RCPT %s sent %d times, want %d", rc, mta.rcpts[rc], want)
		}
	}
	mta.mu.Unlock()
	refused, delivered := 0, 0
	scripts := map[string]bool{}
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}) {
		pl := payload(t, e)
		rep := pl["reply"].(map[string]any)
		script, _ := pl["transcript"].(string)
		scripts[script] = true
		if pl["rest"] != nil {
			t.Errorf("%s: attempt rests the destination: %v", e.Recipient, pl["rest"])
		}
		switch rep["code"].(float64) {
		case 452:
			refused++
			if rep["enhanced"] != "4.5.3" || rep["stage"] != "rcpt" {
				t.Errorf("%s: refused with %v", e.Recipient, rep)
			}
			if !strings.Contains(script, "RCPT TO:<"+e.Recipient+">") || !strings.Contains(script, "S: 452 4.5.3") ||
				!strings.Contains(script, "those go at once in a new transaction on this connection, at most 3 per transaction") {
				t.Errorf("%s: the 452's transcript lacks its RCPT, the reply or what came of it:\n%s", e.Recipient, script)
			}
			v := h.r.Classifier().Classify(Reply{Stage: "rcpt", Code: 452, Enhanced: "4.5.3", Text: rep["text"].(string)})
			if v.Category != "unclassified" || !strings.Contains(v.Reason, "RFC 5321 4.5.3.1.10") || !strings.Contains(v.Advice, "max_recipients") {
				t.Errorf("the 452 is explained as %+v", v)
			}
		case 250:
			delivered++
			if !strings.Contains(script, "RCPT TO:<"+e.Recipient+">") {
				t.Errorf("%s: delivered, but its transcript has no RCPT for it:\n%s", e.Recipient, script)
			}
		default:
			t.Errorf("%s: attempt with %v", e.Recipient, rep)
		}
	}
	if refused != 5 || delivered != 8 {
		t.Errorf("%d attempts refused with 452 and %d delivered, want 5 and 8", refused, delivered)
	}
	if len(scripts) != 3 {
		t.Errorf("%d transcripts, want one per transaction (3)", len(scripts))
	}
	for s := range scripts {
		if strings.Contains(s, "transaction 2 of this message here: 3 recipients, 3 of them refused in an earlier one with 452") &&
			strings.Contains(s, "connected to") {
			t.Errorf("transaction 2 on a new connection:\n%s", s)
		}
	}
	if n := len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})); n != 0 {
		t.Errorf("%d deferrals, want none", n)
	}
}

// TestMaxRecipientsSplits: with max_recipients: 2 a message to 8 goes in
// four transactions of 2, one after another on one connection, and the
// server (which takes 3) refuses none.
func TestMaxRecipientsSplits(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) { rcptLimit(f, 3, true) })
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MaxRecipients = 2
	h := newHarness(t, cfg, Options{})
	to := rcptList(8)
	id := h.enqueue("a@s.test", to...)
	h.runUntil("all recipients final", h.done(id, 8))
	if got := transactionSizes(mta); fmt.Sprint(got) != "[2 2 2 2]" {
		t.Errorf("transactions of %v recipients, want [2 2 2 2]", got)
	}
	var got []string
	for _, m := range mta.received() {
		got = append(got, m.to...)
	}
	if fmt.Sprint(got) != fmt.Sprint(to) {
		t.Errorf("the server took %v, want %v in order", got, to)
	}
	mta.mu.Lock()
	conns1 := mta.conns
	mta.mu.Unlock()
	if conns1 != 1 {
		t.Errorf("%d connections, want 1", conns1)
	}
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}) {
		pl := payload(t, e)
		if code := pl["reply"].(map[string]any)["code"].(float64); code != 250 {
			t.Errorf("%s: %v, want 250", e.Recipient, pl["reply"])
		}
	}
	if n := len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})); n != 8 {
		t.Errorf("%d attempts, want 8 (no 452)", n)
	}
}

// TestRcptLimitNewConnection: with messages_per_connection: 1 each
// transaction after a 452 goes on a new connection, still in the first
// pass.
func TestRcptLimitNewConnection(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) { rcptLimit(f, 3, true) })
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MessagesPerConnection = 1
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", rcptList(7)...)
	h.runUntil("all recipients final", h.done(id, 7))
	if got := transactionSizes(mta); fmt.Sprint(got) != "[3 3 1]" {
		t.Errorf("transactions of %v recipients, want [3 3 1]", got)
	}
	mta.mu.Lock()
	conns := mta.conns
	mta.mu.Unlock()
	if conns != 3 {
		t.Errorf("%d connections, want 3", conns)
	}
	for rc, kinds := range h.terminal(id) {
		if len(kinds) != 1 || kinds[0] != events.RelayDelivered {
			t.Errorf("%s: %v", rc, kinds)
		}
		for _, at := range h.attemptTimes(id, rc) {
			if at != 0 {
				t.Errorf("%s: an attempt at +%v, want all in the first pass (+0s)", rc, at)
			}
		}
	}
}

// TestRcptLimitFirstRefused: a 452 4.5.3 to the first RCPT of a
// transaction is no limit per transaction: the recipients are deferred
// to the retry schedule at once, each RCPT sent once, explained as the
// 452 with its RFC, and the destination does not rest.
func TestRcptLimitFirstRefused(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) { rcptLimit(f, 0, true) })
	h := newHarness(t, testConfig(mta.addr), Options{})
	to := rcptList(3)
	id := h.enqueue("a@s.test", to...)
	h.runUntil("deferrals", h.deferrals(id, 3))
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}}) {
		pl := payload(t, e)
		if pl["category"] != "unclassified" || !strings.Contains(pl["reason"].(string), "RFC 5321 4.5.3.1.10") ||
			!strings.Contains(pl["advice"].(string), "max_recipients") {
			t.Errorf("%s: deferred as %v: %v; %v", e.Recipient, pl["category"], pl["reason"], pl["advice"])
		}
		if pl["next_attempt"] != epoch.Add(60e9).Format("2006-01-02T15:04:05Z") {
			t.Errorf("%s: next attempt %v, want the schedule's first delay (+1m)", e.Recipient, pl["next_attempt"])
		}
	}
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}) {
		pl := payload(t, e)
		if pl["rest"] != nil {
			t.Errorf("%s: the 452 rests the destination: %v", e.Recipient, pl["rest"])
		}
		if s, _ := pl["transcript"].(string); !strings.Contains(s, "before taking any: no limit per transaction explains that") {
			t.Errorf("the transcript does not say why the recipients are not sent again:\n%s", s)
		}
	}
	mta.mu.Lock()
	defer mta.mu.Unlock()
	for _, rc := range to {
		if mta.rcpts[rc] != 1 {
			t.Errorf("RCPT %s sent %d times, want 1", rc, mta.rcpts[rc])
		}
	}
}

// TestRcptLimitNoProgress: a server whose limit is per connection, not
// per transaction, takes 3 and refuses the rest again in the new
// transaction, its first RCPT included: those 5 are deferred after the
// second transaction, not sent a third time.
func TestRcptLimitNoProgress(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) { rcptLimit(f, 3, false) })
	h := newHarness(t, testConfig(mta.addr), Options{})
	to := rcptList(8)
	id := h.enqueue("a@s.test", to...)
	h.runUntil("deferrals", h.deferrals(id, 5))
	var deferred []string
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}}) {
		deferred = append(deferred, e.Recipient)
	}
	sort.Strings(deferred)
	if fmt.Sprint(deferred) != fmt.Sprint(to[3:]) {
		t.Errorf("deferred %v, want %v", deferred, to[3:])
	}
	if got := transactionSizes(mta); fmt.Sprint(got) != "[3]" {
		t.Errorf("transactions of %v recipients, want [3]", got)
	}
	mta.mu.Lock()
	for _, rc := range to[3:] {
		if mta.rcpts[rc] != 2 {
			t.Errorf("RCPT %s sent %d times, want 2 (once more in a new transaction, then no more)", rc, mta.rcpts[rc])
		}
	}
	mta.mu.Unlock()
	// r4..r8: a 452 in each of two transactions, each its own attempt.
	for _, rc := range to[3:] {
		if n := len(h.attemptTimes(id, rc)); n != 2 {
			t.Errorf("%s: %d attempts, want 2", rc, n)
		}
	}
}

// TestTooManyRecipientsReplies: the replies the relay sends again are
// those the classification table explains as the limit, and not others.
func TestTooManyRecipientsReplies(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		rep  Reply
		want bool
	}{
		{Reply{Stage: "rcpt", Code: 452, Enhanced: "4.5.3", Text: "Too many recipients"}, true},
		{Reply{Stage: "rcpt", Code: 452, Enhanced: "4.5.3", Text: "Maximum limit of 100 recipients reached"}, true},
		{Reply{Stage: "rcpt", Code: 452, Text: "too many recipients"}, true},
		{Reply{Stage: "rcpt", Code: 452, Text: "Error: too many rcpts"}, true},
		{Reply{Stage: "rcpt", Code: 452, Enhanced: "4.2.2", Text: "mailbox full"}, false},
		{Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "too many connections"}, false},
		{Reply{Stage: "mail", Code: 452, Enhanced: "4.5.3", Text: "Too many recipients"}, false},
		{Reply{Stage: "rcpt", Code: 552, Enhanced: "5.2.2", Text: "quota"}, false},
		// A 552 for it is temporary too (RFC 5321 4.5.3.1.10).
		{Reply{Stage: "rcpt", Code: 552, Enhanced: "5.5.3", Text: "Too many recipients"}, true},
		{Reply{Stage: "rcpt", Code: 552, Text: "too many recipients"}, true},
		// The text counts only without an enhanced code: one of another
		// kind is that kind.
		{Reply{Stage: "rcpt", Code: 552, Enhanced: "5.3.4", Text: "too many recipients for this message size"}, false},
		{Reply{Stage: "rcpt", Code: 452, Enhanced: "4.2.2", Text: "mailbox full, too many recipients delivered today"}, false},
	} {
		got := tooManyRecipients(tt.rep)
		v := c.Classify(tt.rep)
		explained := strings.Contains(v.Reason, "RFC 5321 4.5.3.1.10")
		if got != tt.want || explained != tt.want {
			t.Errorf("%v at %s: sent again %v, explained as the limit %v (%s: %s); want %v", tt.rep, tt.rep.Stage, got, explained, v.Category, v.Reason, tt.want)
		}
		if tt.want && (v.Category != "unclassified" || v.Disposition != Retry) {
			t.Errorf("%v: %s %s, want retry unclassified", tt.rep, v.Disposition, v.Category)
		}
	}
}

// TestMaxRecipientsConfig: max_recipients is refused when negative, at
// its file, line and key.
func TestMaxRecipientsConfig(t *testing.T) {
	t.Parallel()
	f := &fileWithRelay{Relay: DefaultConfig()}
	err := config.Decode("relaylab.yaml", []byte("relay:\n  paths:\n    - {name: p, host: 'h.test:25', max_recipients: -1}\n"), f)
	if err == nil || !strings.Contains(err.Error(), "relaylab.yaml:3:") || !strings.Contains(err.Error(), "relay.paths[0].max_recipients: -1: must not be negative") {
		t.Errorf("max_recipients: -1: %v", err)
	}
	f = &fileWithRelay{Relay: DefaultConfig()}
	if err := config.Decode("relaylab.yaml", []byte("relay:\n  paths:\n    - {name: p, host: 'h.test:25', max_recipients: 50}\n"), f); err != nil {
		t.Fatal(err)
	}
	if got := f.Relay.Paths[0].MaxRecipients; got != 50 {
		t.Errorf("max_recipients: 50 read as %d", got)
	}
}

// TestRcptLimit552SentAgain: a server that answers 552 5.5.3 to the
// recipients over its limit, as some do where RFC 5321 4.5.3.1.10 asks
// for 452, gets them at once in new transactions, as after a 452, since
// the RFC asks clients to treat that 552 as temporary; they were bounced.
func TestRcptLimit552SentAgain(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		var mu sync.Mutex
		taken := 0
		f.onMail = func(string) error { mu.Lock(); defer mu.Unlock(); taken = 0; return nil }
		f.onRcpt = func(string) error {
			mu.Lock()
			defer mu.Unlock()
			if taken >= 3 {
				return smtpErr(552, smtp.EnhancedCode{5, 5, 3}, "Too many recipients")
			}
			taken++
			return nil
		}
	})
	h := newHarness(t, testConfig(mta.addr), Options{})
	to := rcptList(7)
	id := h.enqueue("a@s.test", to...)
	h.runUntil("all recipients final", h.done(id, 7))
	for _, rc := range to {
		if got := h.terminal(id)[rc]; len(got) != 1 || got[0] != events.RelayDelivered {
			t.Errorf("%s: %v, want delivered", rc, got)
		}
	}
	if got := fmt.Sprint(transactionSizes(mta)); got != "[3 3 1]" {
		t.Errorf("transactions of %s recipients, want [3 3 1]", got)
	}
}

// TestTooManyRecipientsNeverBounced: a 452 or 552 for too many recipients
// is retried (sent again) whatever a configured rule says, as RFC 5321
// 4.5.3.1.10 asks; a rule that suppresses every 45x at RCPT suppressed a
// good address refused only for the server's limit.
func TestTooManyRecipientsNeverBounced(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier([]Rule{{Stage: "rcpt", Code: "45", Disposition: Suppress, Category: "x"}, {Stage: "rcpt", Code: "55", Disposition: Bounce, Category: "y"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, rep := range []Reply{
		{Stage: "rcpt", Code: 452, Enhanced: "4.5.3", Text: "Too many recipients"},
		{Stage: "rcpt", Code: 552, Enhanced: "5.5.3", Text: "Too many recipients"},
	} {
		if v := c.Classify(rep); v.Disposition != Retry {
			t.Errorf("%v: %s, want retry", rep, v.Disposition)
		}
	}
}
