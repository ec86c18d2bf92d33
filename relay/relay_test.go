package relay

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

func TestDeliverOverSmarthost(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, testConfig(mta.addr), Options{})
	id1 := h.enqueue("alice@sender.test", "bob@rcpt.test", "carol@rcpt.test")
	id2 := h.enqueue("alice@sender.test", "dave@rcpt.test")
	h.runUntil("delivery", func() bool { return h.done(id1, 2)() && h.done(id2, 1)() })
	for _, id := range []string{id1, id2} {
		for rcpt, kinds := range h.terminal(id) {
			if !reflect.DeepEqual(kinds, []string{events.RelayDelivered}) {
				t.Errorf("%s %s: terminal events %v, want one delivered", id, rcpt, kinds)
			}
		}
	}
	msgs := mta.received()
	if len(msgs) != 2 {
		t.Fatalf("server got %d messages, want 2 (one transaction per message)", len(msgs))
	}
	for _, m := range msgs {
		if m.to[0] != "dave@rcpt.test" && len(m.to) != 2 {
			t.Errorf("transaction had recipients %v, want both of the message's", m.to)
		}
		if !strings.Contains(string(m.data), "Hello.") {
			t.Errorf("data not delivered: %q", m.data)
		}
	}
	// Each step is an event: queued, attempt, delivered.
	kinds := map[string]int{}
	for _, e := range h.events(events.Filter{Message: id1, Recipient: "bob@rcpt.test"}) {
		kinds[e.Kind]++
	}
	for _, k := range []string{events.RelayQueued, events.RelayAttempt, events.RelayDelivered} {
		if kinds[k] != 1 {
			t.Errorf("%s events for bob: %d, want 1 (all: %v)", k, kinds[k], kinds)
		}
	}
	m, err := h.r.Message(context.Background(), id1)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range m.Recipients {
		if rc.State != StateDelivered || rc.Attempts != 1 || rc.Reply.Code != 250 {
			t.Errorf("recipient %+v, want delivered after 1 attempt with 250", rc)
		}
	}
}

func TestConnectionReuse(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MessagesPerConnection = 3
	cfg.Paths[0].MaxConnections = 1
	h := newHarness(t, cfg, Options{})
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, h.enqueue("a@s.test", "b@r.test"))
	}
	h.runUntil("delivery", h.allDone(ids))
	perConn := map[int]int{}
	for _, m := range mta.received() {
		perConn[m.conn]++
	}
	for c, n := range perConn {
		if n > 3 {
			t.Errorf("connection %d carried %d messages, cap is 3", c, n)
		}
	}
	if len(perConn) >= 7 {
		t.Errorf("7 messages used %d connections: no reuse", len(perConn))
	}
	if mta.peak > 1 {
		t.Errorf("peak connections %d, cap is 1", mta.peak)
	}
}

func TestRetryPolicyAttemptTimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		retry RetryConfig
		want  []time.Duration // attempt times
	}{
		{"list", RetryConfig{Kind: "list", Schedule: []config.Duration{dur(time.Minute), dur(5 * time.Minute), dur(5 * time.Minute), dur(time.Hour)},
			MaxAge: dur(3 * time.Hour)},
			[]time.Duration{0, time.Minute, 6 * time.Minute, 11 * time.Minute, 71 * time.Minute, 131 * time.Minute, 180 * time.Minute}},
		{"exponential", RetryConfig{Kind: "exponential", Initial: dur(time.Minute), Factor: 2, Max: dur(10 * time.Minute), MaxAttempts: 6},
			[]time.Duration{0, time.Minute, 3 * time.Minute, 7 * time.Minute, 15 * time.Minute, 25 * time.Minute}},
		{"postfix", RetryConfig{Preset: "postfix", MaxAge: dur(5 * time.Hour)},
			// age 0 -> 300s; age 300s -> 300s; 600s -> 600s; 1200s -> 1200s; 2400s -> 2400s; 4800s -> 4000s...
			[]time.Duration{0, 300 * time.Second, 600 * time.Second, 1200 * time.Second, 2400 * time.Second, 4800 * time.Second,
				8800 * time.Second, 12800 * time.Second, 16800 * time.Second, 18000 * time.Second}},
		{"rfc5321", RetryConfig{Preset: "rfc5321", MaxAttempts: 4},
			[]time.Duration{0, 30 * time.Minute, 60 * time.Minute, 90 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, func(f *fakeMTA) {
				f.onRcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later") }
			})
			cfg := testConfig(mta.addr)
			cfg.Retry = tt.retry
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("", "x@r.test") // null sender: no DSN to follow
			h.runUntil("expiry", h.done(id, 1))
			if got := h.attemptTimes(id, "x@r.test"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("attempts at %v\nwant       %v", got, tt.want)
			}
			if k := h.terminal(id)["x@r.test"]; !reflect.DeepEqual(k, []string{events.RelayExpired}) {
				t.Errorf("terminal %v, want one expired", k)
			}
		})
	}
}

func TestPolicyDelay(t *testing.T) {
	t.Parallel()
	p := NewPolicy(RetryConfig{Kind: "exponential", Initial: dur(time.Minute), Factor: 3, Max: dur(time.Hour), Jitter: 0.2}, 7)
	for n := 1; n <= 8; n++ {
		base := min(float64(time.Minute)*pow(3, n-1), float64(time.Hour))
		d := p.Delay("m1", n, 0)
		if float64(d) < base*0.8 || float64(d) > base*1.2 {
			t.Errorf("attempt %d: delay %v outside 20%% of %v", n, d, time.Duration(base))
		}
		if again := p.Delay("m1", n, 0); again != d {
			t.Errorf("attempt %d: delay %v then %v: jitter not reproducible", n, d, again)
		}
	}
	if NewPolicy(RetryConfig{Kind: "exponential", Initial: dur(time.Minute), Factor: 3, Jitter: 0.2}, 8).Delay("m1", 3, 0) == p.Delay("m1", 3, 0) {
		t.Error("another seed gave the same jitter")
	}
}

func pow(b float64, n int) float64 {
	x := 1.0
	for range n {
		x *= b
	}
	return x
}

func TestPermanentFailureNeverRetried(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "gone") {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			}
			return nil
		}
	})
	h := newHarness(t, testConfig(mta.addr), Options{})
	id := h.enqueue("alice@s.test", "gone@r.test", "here@r.test")
	h.runUntil("both done", h.done(id, 2))
	// Run the clock on: nothing may try gone@ again.
	for h.v.AdvanceToNext() {
		h.settle()
	}
	if n := mta.rcpts["gone@r.test"]; n != 1 {
		t.Errorf("gone@ was tried %d times, want 1", n)
	}
	term := h.terminal(id)
	if !reflect.DeepEqual(term["gone@r.test"], []string{events.RelayBounced}) || !reflect.DeepEqual(term["here@r.test"], []string{events.RelayDelivered}) {
		t.Errorf("terminal events %v", term)
	}
	b := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}})[0]
	p := payload(t, b)
	if p["category"] != "invalid-recipient" || p["reason"] == "" || p["advice"] == "" {
		t.Errorf("bounce payload %v: want category, reason and advice", p)
	}
	// Suppressed now; a later message to it is not sent.
	id2 := h.enqueue("alice@s.test", "gone@r.test")
	h.runUntil("suppressed", h.done(id2, 1))
	if k := h.terminal(id2)["gone@r.test"]; !reflect.DeepEqual(k, []string{events.RelaySuppressed}) {
		t.Errorf("later message to a suppressed address: %v, want suppressed", k)
	}
	// A DSN went to alice, and it parses back.
	dsns := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})
	if len(dsns) != 1 {
		t.Fatalf("%d relay.dsn events, want 1", len(dsns))
	}
	dsnID := payload(t, dsns[0])["dsn_message"].(string)
	h.runUntil("dsn delivered", h.done(dsnID, 1))
	var got *dsn.Parsed
	for _, m := range mta.received() {
		// The first: the later message's suppression has a DSN of its own.
		if m.from == "" && len(m.to) == 1 && m.to[0] == "alice@s.test" && got == nil {
			p, err := dsn.Parse(m.data)
			if err != nil {
				t.Fatal(err)
			}
			got = p
		}
	}
	if got == nil {
		t.Fatal("the DSN never reached the server with a null reverse path")
	}
	rc := got.Report.Recipients
	if len(rc) != 1 || rc[0].FinalRecipient != "gone@r.test" || rc[0].Action != dsn.ActionFailed || rc[0].Status != "5.1.1" ||
		!strings.Contains(rc[0].DiagnosticCode, "550 5.1.1 no such user") {
		t.Errorf("DSN recipients %+v", rc)
	}
	if got.Report.ReportingMTA == "" {
		t.Error("DSN has no Reporting-MTA")
	}
}

func TestFailover(t *testing.T) {
	t.Parallel()
	backup := startMTA(t, nil)
	deferring := startMTA(t, func(f *fakeMTA) {
		f.onMail = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "busy") }
	})
	tests := []struct{ name, primary string }{
		{"refused connection", closedAddr(t)},
		{"deferral", deferring.addr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(tt.primary)
			cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none"})
			cfg.Routes[0].Paths = []string{"primary", "backup"}
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("a@s.test", "b-"+strings.ReplaceAll(tt.name, " ", "")+"@r.test")
			h.runUntil("delivery", h.done(id, 1))
			if h.v.Now() != epoch {
				t.Errorf("delivered at %v, want at once through the backup", h.v.Now().Sub(epoch))
			}
			evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
			if len(evs) != 2 || evs[0].Path != "primary" || evs[1].Path != "backup" {
				t.Fatalf("attempts %v, want primary then backup", evs)
			}
			d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}})
			if d[0].Path != "backup" {
				t.Errorf("delivered over %q, want backup", d[0].Path)
			}
		})
	}
}

func TestFallbackAfterAttempts(t *testing.T) {
	t.Parallel()
	backup := startMTA(t, nil)
	cfg := testConfig(closedAddr(t))
	cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none"})
	cfg.Routes[0].Fallback, cfg.Routes[0].FallbackAfter = "backup", 2
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("delivery", h.done(id, 1))
	var paths []string
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}) {
		paths = append(paths, e.Path)
	}
	if want := []string{"primary", "primary", "backup"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	if got, want := h.attemptTimes(id, "b@r.test"), []time.Duration{0, time.Minute, 6 * time.Minute}; !reflect.DeepEqual(got, want) {
		t.Errorf("attempt times %v, want %v", got, want)
	}
}

func TestGiveUpAtMaxAgeSendsDSN(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if to == "slow@r.test" {
				return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "mailbox full")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Retry = RetryConfig{Kind: "list", Schedule: []config.Duration{dur(20 * time.Minute)}, MaxAge: dur(time.Hour)}
	cfg.DSN.DelayWarning = dur(30 * time.Minute)
	h := newHarness(t, cfg, Options{})
	s := Submission{From: "alice@s.test", EnvID: "env-42", Ret: "HDRS", Data: []byte("Subject: x\r\n\r\nbody\r\n"),
		Recipients: []Recipient{{Address: "slow@r.test", ORCPT: "rfc822;Slow@R.test"}}}
	id, err := h.r.Enqueue(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("expiry", h.done(id, 1))
	if got, want := h.attemptTimes(id, "slow@r.test"), []time.Duration{0, 20 * time.Minute, 40 * time.Minute, 60 * time.Minute}; !reflect.DeepEqual(got, want) {
		t.Errorf("attempts %v, want %v", got, want)
	}
	exp := h.events(events.Filter{Message: id, Kinds: []string{events.RelayExpired}})
	if len(exp) != 1 || exp[0].Time.Sub(epoch) != time.Hour {
		t.Fatalf("expired events %v, want one at 1h", exp)
	}
	var actions []string
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}}) {
		actions = append(actions, payload(t, e)["action"].(string))
		dsnID := payload(t, e)["dsn_message"].(string)
		m, err := h.r.Message(context.Background(), dsnID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Sender != "" || !m.IsDSN || m.Recipients[0].Address != "alice@s.test" {
			t.Errorf("DSN %+v: want null sender to alice", m)
		}
		p, err := dsn.Parse(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if p.EnvelopeID() != "env-42" || p.Report.Recipients[0].OriginalRecipient != "Slow@R.test" {
			t.Errorf("DSN envid %q orcpt %q", p.EnvelopeID(), p.Report.Recipients[0].OriginalRecipient)
		}
		if !p.HeadersOnly {
			t.Error("RET=HDRS but the DSN returned the whole message")
		}
	}
	if want := []string{dsn.ActionDelayed, dsn.ActionFailed}; !reflect.DeepEqual(actions, want) {
		t.Errorf("DSN actions %v, want %v", actions, want)
	}
}

func TestNotifyNeverAndNoDSNAboutDSN(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user") }
	})
	h := newHarness(t, testConfig(mta.addr), Options{})
	id, err := h.r.Enqueue(context.Background(), Submission{From: "a@s.test", Data: []byte("x\r\n"),
		Recipients: []Recipient{{Address: "n@r.test", Notify: []string{"NEVER"}}, {Address: "f@r.test", Notify: []string{"SUCCESS"}}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("bounces", h.done(id, 2))
	if n := len(h.events(events.Filter{Kinds: []string{events.RelayDSN}})); n != 0 {
		t.Errorf("%d DSNs despite NOTIFY=NEVER/SUCCESS", n)
	}
	// A bounce to a DSN's recipient makes no further DSN.
	id2 := h.enqueue("b@s.test", "x@r.test")
	h.runUntil("bounce", h.done(id2, 1))
	dsns := h.events(events.Filter{Kinds: []string{events.RelayDSN}})
	if len(dsns) != 1 {
		t.Fatalf("%d DSNs, want 1", len(dsns))
	}
	dsnID := payload(t, dsns[0])["dsn_message"].(string)
	h.runUntil("dsn bounced", h.done(dsnID, 1))
	if n := len(h.events(events.Filter{Kinds: []string{events.RelayDSN}})); n != 1 {
		t.Errorf("%d DSNs after a DSN bounced, want still 1", n)
	}
}

// restingHarness is a relay whose one destination answers its first
// connection with 421 (the relay then rests it for 10 minutes); it returns
// once the recipient queued first (its message id is returned, with the
// server) was deferred for it.
func restingHarness(t *testing.T) (*harness, *fakeMTA, string) {
	t.Helper()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if f.conns == 1 {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections, slow down")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	cfg.Paths[0].MaxConnections = 1
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "one@r.test")
	h.runUntil("first deferral", func() bool { return len(h.events(events.Filter{Kinds: []string{events.RelayDeferred}})) == 1 })
	return h, mta, id
}

func TestDestinationBackoffAfter421(t *testing.T) {
	t.Parallel()
	h, mta, id1 := restingHarness(t)
	// A second message to the same destination waits out the rest without
	// connecting.
	h.v.Advance(2 * time.Minute)
	id2 := h.enqueue("a@s.test", "two@r.test")
	h.runUntil("both delivered", func() bool { return h.done(id1, 1)() && h.done(id2, 1)() })
	if mta.conns != 2 {
		t.Errorf("%d connections, want 2 (none while the destination rested)", mta.conns)
	}
	for _, id := range []string{id1, id2} {
		d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}})
		if at := d[0].Time.Sub(epoch); at != 10*time.Minute {
			t.Errorf("%s delivered at %v, want at 10m when the rest ends", id, at)
		}
	}
}

func TestShapingNeverExceeded(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MaxConnections = 2
	cfg.Paths[0].MessagesPerConnection = 2
	cfg.Paths[0].Rate = 5 // messages per second
	h := newHarness(t, cfg, Options{})
	var ids []string
	for i := 0; i < 20; i++ {
		ids = append(ids, h.enqueue("a@s.test", "r@r.test"))
	}
	h.runUntil("all delivered", h.allDone(ids))
	if mta.peak > 2 {
		t.Errorf("peak %d connections, cap 2", mta.peak)
	}
	perConn := map[int]int{}
	for _, m := range mta.received() {
		perConn[m.conn]++
	}
	for c, n := range perConn {
		if n > 2 {
			t.Errorf("connection %d carried %d messages, cap 2", c, n)
		}
	}
	// 20 messages at 5/s: the last leaves no earlier than 3.8s after the first.
	var times []time.Time
	for _, e := range h.events(events.Filter{Kinds: []string{events.RelayDelivered}}) {
		times = append(times, e.Time)
	}
	perSecond := map[int64]int{}
	for _, tm := range times {
		perSecond[tm.Sub(epoch).Milliseconds()/1000]++
	}
	for s, n := range perSecond {
		if n > 5 {
			t.Errorf("second %d: %d deliveries, rate cap 5/s", s, n)
		}
	}
	if last := times[len(times)-1].Sub(epoch); last < 3800*time.Millisecond {
		t.Errorf("last delivery at %v: rate not applied", last)
	}
}

func TestRoutesBySenderAndSplit(t *testing.T) {
	t.Parallel()
	a, b, c := startMTA(t, nil), startMTA(t, nil), startMTA(t, nil)
	cfg := testConfig(a.addr)
	cfg.Paths = []PathConfig{{Name: "a", Host: a.addr, TLS: "none"}, {Name: "b", Host: b.addr, TLS: "none"}, {Name: "c", Host: c.addr, TLS: "none"}}
	cfg.Routes = []RouteConfig{
		{Name: "vip", Senders: []string{"vip.test"}, Paths: []string{"c"}},
		{Name: "split", Recipients: []string{"*.example.test"}, Split: []WeightedPath{{Path: "a", Weight: 3}, {Path: "b", Weight: 1}}},
		{Name: "rest", Paths: []string{"c"}},
	}
	h := newHarness(t, cfg, Options{Seed: 1})
	var ids []string
	ids = append(ids, h.enqueue("boss@vip.test", "x@mail.example.test"))
	for i := 0; i < 40; i++ {
		ids = append(ids, h.enqueue("a@s.test", "x@mail.example.test"))
	}
	ids = append(ids, h.enqueue("a@s.test", "y@other.test"))
	h.runUntil("all", h.allDone(ids))
	na, nb, nc := len(a.received()), len(b.received()), len(c.received())
	if nc != 2 || na+nb != 40 {
		t.Fatalf("a=%d b=%d c=%d, want c=2 and a+b=40", na, nb, nc)
	}
	if na < 20 || nb < 4 {
		t.Errorf("split 3:1 gave a=%d b=%d", na, nb)
	}
}

func TestRecoverInflightAfterCrash(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, testConfig(mta.addr), Options{})
	h.r.Shutdown(context.Background())
	// Simulate a crash mid-attempt: a recipient left in flight.
	id := h.enqueue("a@s.test", "b@r.test")
	if _, err := h.r.claim(context.Background(), h.v.Now(), 10); err != nil {
		t.Fatal(err)
	}
	r2, err := New(testConfig(mta.addr), Options{Store: h.store, Clock: h.v, Logger: h.r.log})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r2.Shutdown(context.Background())
	h.r = r2
	h.runUntil("delivery after restart", h.done(id, 1))
	if len(mta.received()) != 1 {
		t.Errorf("%d deliveries, want 1", len(mta.received()))
	}
	// The recipient's timeline says why it may hold the message twice.
	if rec := h.events(events.Filter{Message: id, Kinds: []string{events.RelayRecovered}}); len(rec) != 1 || rec[0].Recipient != "b@r.test" ||
		!strings.Contains(payload(t, rec[0])["reason"].(string), "in flight when the relay last stopped") {
		t.Errorf("relay.recovered events %v, want one for b@r.test saying why", rec)
	}
}

func TestQueueAPI(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "later") }
	})
	h := newHarness(t, testConfig(mta.addr), Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	keep := h.enqueue("a@s.test", "c@r.test")
	h.runUntil("deferred", func() bool { return len(h.events(events.Filter{Kinds: []string{events.RelayDeferred}})) == 2 })
	ctx := context.Background()
	list, err := h.r.List(ctx, QueueFilter{State: "waiting"})
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %d messages, %v; want 2", len(list), err)
	}
	if rc := list[0].Recipients[0]; rc.State != StateDeferred || rc.Due.IsZero() || rc.Reply.Code != 451 {
		t.Errorf("recipient %+v: want deferred with a due time and the 451", rc)
	}
	n, err := h.r.RetryNow(ctx, id)
	if err != nil || n != 1 {
		t.Fatalf("RetryNow = %d, %v", n, err)
	}
	h.settle()
	if got := len(h.attemptTimes(id, "b@r.test")); got != 2 {
		t.Errorf("%d attempts after RetryNow, want 2", got)
	}
	if err := h.r.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if k := h.terminal(id)["b@r.test"]; !reflect.DeepEqual(k, []string{events.RelayExpired}) {
		t.Errorf("deleted recipient's terminal events %v", k)
	}
	// The expiry says, as the retry policy's does, how far the recipient
	// got and what follows.
	if ev := h.events(events.Filter{Kinds: []string{events.RelayExpired}}); len(ev) != 1 {
		t.Errorf("%d relay.expired events, want 1", len(ev))
	} else {
		var p struct {
			Attempts     int    `json:"attempts"`
			Reply        Reply  `json:"reply"`
			LastCategory string `json:"last_category"`
			Advice       string `json:"advice"`
			Category     string `json:"category"`
		}
		if err := json.Unmarshal(ev[0].Payload, &p); err != nil || p.Attempts != 2 || p.Reply.Code != 451 || p.Reply.Enhanced != "4.3.0" ||
			p.LastCategory == "" || p.Category != "deleted" || !strings.Contains(p.Advice, "no DSN goes to the sender") {
			t.Errorf("the deleted recipient's relay.expired payload %s (%v): want attempts 2, the 451, its category and advice", ev[0].Payload, err)
		}
	}
	if _, err := h.r.Message(ctx, id); err == nil {
		t.Error("Message of a deleted id: no error")
	}
	if _, err := h.r.RetryNow(ctx, "nope"); err == nil {
		t.Error("RetryNow of an unknown id: no error")
	}
	if _, err := h.r.Message(ctx, keep); err != nil {
		t.Error(err)
	}
}

func TestNotifySuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		noDSN   bool
		relayed int // "relayed" DSNs we write
	}{
		{"upstream takes DSN parameters", false, 0},
		{"upstream without DSN", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, func(f *fakeMTA) { f.noDSN = tt.noDSN })
			h := newHarness(t, testConfig(mta.addr), Options{})
			id, err := h.r.Enqueue(context.Background(), Submission{From: "a@s.test", Data: []byte("Subject: s\r\n\r\nx\r\n"),
				Recipients: []Recipient{{Address: "ok@r.test", Notify: []string{"SUCCESS", "FAILURE"}}, {Address: "quiet@r.test"}}})
			if err != nil {
				t.Fatal(err)
			}
			h.runUntil("delivery", func() bool {
				return h.done(id, 2)() && len(h.events(events.Filter{Kinds: []string{events.RelayDSN}})) == tt.relayed
			})
			h.settle()
			dsns := h.events(events.Filter{Kinds: []string{events.RelayDSN}})
			if len(dsns) != tt.relayed {
				t.Fatalf("%d DSNs, want %d", len(dsns), tt.relayed)
			}
			if tt.relayed == 0 {
				return
			}
			p := payload(t, dsns[0])
			if dsns[0].Recipient != "ok@r.test" || p["action"] != dsn.ActionRelayed || p["status"] != "2.0.0" {
				t.Errorf("DSN event %v %v", dsns[0].Recipient, p)
			}
			m, err := h.r.Message(context.Background(), p["dsn_message"].(string))
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := dsn.Parse(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if rc := parsed.Report.Recipients; len(rc) != 1 || rc[0].Action != dsn.ActionRelayed || rc[0].FinalRecipient != "ok@r.test" {
				t.Errorf("DSN recipients %+v", rc)
			}
		})
	}
}

func TestDepthCountsWaitingRecipients(t *testing.T) {
	t.Parallel()
	// The server keeps the data until the count is read: the relay may
	// otherwise deliver both before the test reads it (it did, under load).
	hold := make(chan struct{})
	mta := startMTA(t, func(f *fakeMTA) {
		f.onData = func([]string) error { <-hold; return nil }
	})
	h := newHarness(t, testConfig(mta.addr), Options{})
	t.Cleanup(func() {
		select {
		case <-hold:
		default:
			close(hold) // before the relay's shutdown
		}
	})
	ctx := context.Background()
	if n, err := h.r.Depth(ctx); err != nil || n != 0 {
		t.Fatalf("empty queue: Depth = %d, %v", n, err)
	}
	id := h.enqueue("a@s.test", "b@r.test", "c@r.test")
	if n, err := h.r.Depth(ctx); err != nil || n != 2 {
		t.Fatalf("after enqueue: Depth = %d, %v, want 2", n, err)
	}
	close(hold)
	h.runUntil("delivery", h.done(id, 2))
	if n, err := h.r.Depth(ctx); err != nil || n != 0 {
		t.Fatalf("after delivery: Depth = %d, %v, want 0", n, err)
	}
}

// TestPollSeesAnotherProcess: `relaylab queue retry` run in a second process
// only changes the store. A relay with Poll sends the recipient within one
// poll interval; without Poll it would wait for its next attempt an hour on.
func TestPollSeesAnotherProcess(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "later") }
	})
	cfg := testConfig(mta.addr)
	cfg.Retry = RetryConfig{Kind: "list", Schedule: []config.Duration{dur(time.Hour)}, MaxAge: dur(24 * time.Hour)}
	h := newHarness(t, cfg, Options{Poll: 5 * time.Second})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("deferred", func() bool { return len(h.attemptTimes(id, "b@r.test")) == 1 })
	other, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: h.r.log}) // the CLI's relay: never started
	if err != nil {
		t.Fatal(err)
	}
	asked := h.v.Now()
	if n, err := other.RetryNow(context.Background(), id); err != nil || n != 1 {
		t.Fatalf("RetryNow = %d, %v", n, err)
	}
	h.runUntil("second attempt", func() bool { return len(h.attemptTimes(id, "b@r.test")) == 2 })
	if waited := h.v.Now().Sub(asked); waited > 5*time.Second {
		t.Errorf("the second attempt came %v after the retry was asked for, want within the 5s poll", waited)
	}
}
