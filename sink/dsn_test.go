package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
	"github.com/relaylab/relaylab/internal/store"
)

// ehlo reads the greeting, says EHLO and returns the whole reply.
func (c *client) ehlo() string {
	c.t.Helper()
	c.read()
	c.tp.PrintfLine("EHLO client.test")
	_, msg, err := c.tp.ReadResponse(250)
	if err != nil {
		c.t.Fatalf("EHLO: %q (%v)", msg, err)
	}
	return msg
}

func TestDSNAdvertisedAndHidden(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	if msg := c.ehlo(); !slices.Contains(strings.Split(msg, "\n"), "DSN") {
		t.Errorf("EHLO reply does not offer DSN (RFC 3461 4):\n%s", msg)
	}
	c.expect(250, "", "MAIL FROM:<a@x.test> RET=HDRS ENVID=QQ314159")
	c.expect(250, "", "RCPT TO:<u@sink.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;u@sink.test")

	h, _ := testSink(t, nil, func(c *Config) { c.Listeners[0].Hide = []string{"dsn"} })
	c = dial(t, addrOf(t, h, "mx"))
	if msg := c.ehlo(); strings.Contains(msg, "DSN") {
		t.Errorf("hide: [dsn], yet the EHLO reply offers DSN:\n%s", msg)
	}
	// RFC 5321 4.1.1.11: a parameter the server does not offer is 555.
	c.expect(555, "5.5.4 MAIL FROM parameter RET not recognized", "MAIL FROM:<a@x.test> RET=HDRS ENVID=QQ1")
	c.expect(555, "5.5.4 MAIL FROM parameter ENVID not recognized", "MAIL FROM:<a@x.test> ENVID=QQ1")
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(555, "5.5.4 RCPT TO parameter NOTIFY not recognized", "RCPT TO:<u@sink.test> NOTIFY=NEVER")
	c.expect(555, "5.5.4 RCPT TO parameter ORCPT not recognized", "RCPT TO:<u@sink.test> ORCPT=rfc822;u@sink.test")
	c.expect(250, "", "RCPT TO:<u@sink.test>")
}

func TestDSNParameterSyntax(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	long := strings.Repeat("x", 101)
	cases := []struct {
		mail, rcpt string // parameters; the other command has none
		code       int
		text       string // in the reply
	}{
		{mail: "RET=FULL", code: 250},
		{mail: "ret=hdrs envid=QQ+2B+20x", code: 250},
		{mail: "ENVID=" + long[:100], code: 250},
		{rcpt: "NOTIFY=NEVER", code: 250},
		{rcpt: "notify=success,failure,delay ORCPT=rfc822;bob+2Bx@y.test", code: 250},
		{rcpt: "ORCPT=utf-8;j\\x{F6}rg@y.test", code: 250},
		{rcpt: "ORCPT=utf-8;\"j\\x{F6}\\x{20}r\"@y.test", code: 250}, // a space in a quoted local part, as the relay sends it
		{mail: "RET=ALL", code: 501, text: "5.5.4 Syntax error in parameters: RET=ALL is neither FULL nor HDRS (RFC 3461 4.3)"},
		{mail: "RET=FULL RET=HDRS", code: 501, text: "5.5.4 Syntax error in parameters: RET is given twice"},
		{mail: "RET", code: 501, text: "RET needs a value"},
		{mail: "ENVID=" + long, code: 501, text: "ENVID is 101 characters long; at most 100"},
		{mail: "ENVID=a+2b", code: 501, text: "ENVID is not valid xtext: \"+\" at octet 2 is not followed by two upper-case hex digits"},
		{mail: "ENVID=a=b", code: 501, text: "ENVID is not valid xtext: octet 2 must be written as +3D"},
		{mail: "ENVID=+0A", code: 501, text: "decoded value has a control"},
		{mail: "ENVID=x ENVID=y", code: 501, text: "ENVID is given twice"},
		{mail: "RET=BAD ENVID=+ZZ", code: 501, text: "RET=BAD is neither"}, // the first fault, whatever go-smtp meets first
		{rcpt: "NOTIFY=NEVER,SUCCESS", code: 501, text: "5.5.4 Syntax error in parameters: NOTIFY=NEVER,SUCCESS: NEVER must stand alone (RFC 3461 4.1)"},
		{rcpt: "NOTIFY=FAILURE,FAILURE", code: 501, text: "FAILURE is listed twice"},
		{rcpt: "NOTIFY=SOMETIMES", code: 501, text: "SOMETIMES is not NEVER, SUCCESS, FAILURE or DELAY"},
		{rcpt: "NOTIFY=FAILURE,", code: 501, text: "an empty item"},
		{rcpt: "NOTIFY=FAILURE NOTIFY=DELAY", code: 501, text: "NOTIFY is given twice"},
		{rcpt: "ORCPT=bob@y.test", code: 501, text: "ORCPT: want addr-type;address"},
		{rcpt: "ORCPT=x400;bob", code: 501, text: "address type x400 is not rfc822 or utf-8"},
		{rcpt: "ORCPT=rfc822;" + strings.Repeat("b", 495), code: 501, text: "the value is 502 characters long; at most 500"},
		{rcpt: "ORCPT=rfc822;bob+0D+0A@y.test", code: 501, text: "decoded address has a control"},
		{rcpt: "ORCPT=utf-8;bob\\x{0A}@y.test", code: 501, text: "stands for a control"},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			c.greet()
			code, msg := c.cmd("MAIL FROM:<p%d@x.test> %s", i, tc.mail)
			if tc.rcpt != "" {
				if code != 250 {
					t.Fatalf("MAIL: %d %q", code, msg)
				}
				code, msg = c.cmd("RCPT TO:<u%d@sink.test> %s", i, tc.rcpt)
			}
			if code != tc.code || !strings.Contains(msg, tc.text) {
				t.Errorf("MAIL %q RCPT %q: got %d %q, want %d containing %q", tc.mail, tc.rcpt, code, msg, tc.code, tc.text)
			}
			c.expect(221, "", "QUIT")
		})
	}
	t.Cleanup(func() {
		// A RCPT refused for its parameters is not an attempt to deliver.
		if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_attempts WHERE code = 501`); n != 0 {
			t.Errorf("%d attempts recorded with the 501 of a bad parameter, want none", n)
		}
	})
}

func TestDSNParametersRecorded(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<rec@x.test> RET=FULL ENVID=batch+2B7+20of+209")
	c.expect(250, "", "RCPT TO:<alice@sink.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;Alice+2Btag@sink.test")
	c.expect(550, "", "RCPT TO:<rcpt550+bob@sink.test> NOTIFY=NEVER")
	c.expect(250, "", "RCPT TO:<carol@sink.test>")
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 250 {
		t.Fatalf("final reply %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	ctx := context.Background()
	db := st.DB()

	const envid = "batch+7 of 9"
	atts := func(rcpt string) Attempt {
		t.Helper()
		as, err := Attempts(ctx, db, rcpt)
		if err != nil || len(as) != 1 {
			t.Fatalf("attempts for %s: %v, %v", rcpt, as, err)
		}
		return as[0]
	}
	a := atts("alice@sink.test")
	if a.Ret != "FULL" || a.EnvID != envid || !slices.Equal(a.Notify, []string{"FAILURE", "DELAY"}) || a.ORCPT != "rfc822;Alice+tag@sink.test" {
		t.Errorf("alice's attempt: RET %q ENVID %q NOTIFY %q ORCPT %q, want FULL, %q, [FAILURE DELAY], rfc822;Alice+tag@sink.test", a.Ret, a.EnvID, a.Notify, a.ORCPT, envid)
	}
	if b := atts("rcpt550+bob@sink.test"); b.Reply.Code != 550 || b.EnvID != envid || !slices.Equal(b.Notify, []string{"NEVER"}) {
		t.Errorf("bob's refused attempt: %d ENVID %q NOTIFY %q, want 550 with the transaction's ENVID and NOTIFY=NEVER", b.Reply.Code, b.EnvID, b.Notify)
	}
	if cr := atts("carol@sink.test"); cr.Notify != nil || cr.ORCPT != "" || cr.EnvID != envid {
		t.Errorf("carol's attempt: NOTIFY %q ORCPT %q ENVID %q, want none, none, %q", cr.Notify, cr.ORCPT, cr.EnvID, envid)
	}

	m, err := MessageByID(ctx, db, a.Message)
	if err != nil {
		t.Fatal(err)
	}
	want := []RecipientDSN{
		{Recipient: "alice@sink.test", Notify: []string{"FAILURE", "DELAY"}, ORCPT: "rfc822;Alice+tag@sink.test"},
		{Recipient: "carol@sink.test"},
	}
	got, _ := json.Marshal(m.DSN)
	wantJSON, _ := json.Marshal(want)
	if m.Ret != "FULL" || m.EnvID != envid || string(got) != string(wantJSON) {
		t.Errorf("message: RET %q ENVID %q DSN %s, want FULL, %q, %s", m.Ret, m.EnvID, got, envid, wantJSON)
	}

	var payload string
	if err := db.QueryRow(`SELECT payload FROM events WHERE kind = 'sink.message'`).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"ret":"FULL"`, `"envid":"batch+7 of 9"`, `"orcpt":"rfc822;Alice+tag@sink.test"`} {
		if !strings.Contains(payload, w) {
			t.Errorf("sink.message event lacks %s: %s", w, payload)
		}
	}
	ss, err := SessionByID(ctx, db, m.Session)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`* DSN: RET=FULL ENVID="batch+7 of 9"`, `* DSN for alice@sink.test: NOTIFY=FAILURE,DELAY ORCPT="rfc822;Alice+tag@sink.test"`} {
		if !strings.Contains(ss.Transcript, w) {
			t.Errorf("transcript lacks %q:\n%s", w, ss.Transcript)
		}
	}
}

// dsnSink starts a sink on a virtual clock whose bounces go to a test
// relay that keeps what it gets.
func dsnSink(t *testing.T, edit func(*Config)) (*Sink, *store.Store, *clock.Virtual, *smtptest.Server) {
	t.Helper()
	relay := smtptest.Start(t, smtptest.Options{Keep: true})
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, func(c *Config) {
		c.Bounce.Relay = relay.Addr
		if edit != nil {
			edit(c)
		}
	})
	return s, st, v, relay
}

// waitBounces waits until n bounces are done (sent, skipped or failed).
func waitBounces(t *testing.T, st *store.Store, n int) {
	t.Helper()
	if got := itWaitCount(t, st.DB(), n, `SELECT COUNT(*) FROM sink_bounces WHERE sent_ns != 0 OR skipped != '' OR error != ''`); got != n {
		t.Fatalf("%d bounces done, want %d", got, n)
	}
}

// dsnsByRecipient parses what the relay got, by Final-Recipient.
func dsnsByRecipient(t *testing.T, relay *smtptest.Server) map[string]*dsn.Parsed {
	t.Helper()
	out := map[string]*dsn.Parsed{}
	for _, m := range relay.Messages() {
		p, err := dsn.Parse(m.Data)
		if err != nil || len(p.Report.Recipients) != 1 {
			t.Fatalf("the relay got a message that is not a one-recipient DSN (%v):\n%s", err, m.Data)
		}
		out[p.Report.Recipients[0].FinalRecipient] = p
	}
	return out
}

func TestDSNBounceHonoursNotifyRetEnvidOrcpt(t *testing.T) {
	t.Parallel()
	s, st, v, relay := dsnSink(t, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<sender@x.test> RET=FULL ENVID=QQ314159")
	c.expect(250, "", "RCPT TO:<bounce5m+fail@sink.test> NOTIFY=FAILURE ORCPT=rfc822;Orig+2Bfail@y.test")
	c.expect(250, "", "RCPT TO:<bounce5m+never@sink.test> NOTIFY=NEVER")
	c.expect(250, "", "RCPT TO:<bounce5m+delayonly@sink.test> NOTIFY=DELAY,SUCCESS")
	c.expect(250, "", "RCPT TO:<bounce5m+plain@sink.test> ORCPT=utf-8;j\\x{F6}rg@y.test")
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 250 {
		t.Fatalf("final reply %d %q", code, msg)
	}
	c.expect(250, "", "MAIL FROM:<sender@x.test> RET=HDRS")
	c.expect(250, "", "RCPT TO:<bounce5m+hdrs@sink.test>")
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 250 {
		t.Fatalf("final reply %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")

	advanceWhenWaiting(t, v, 5*time.Minute)
	waitBounces(t, st, 5)
	got := dsnsByRecipient(t, relay)
	if len(got) != 3 {
		t.Fatalf("the relay got DSNs for %d recipients, want 3 (fail, plain, hdrs)", len(got))
	}

	f := got["bounce5m+fail@sink.test"]
	if f == nil {
		t.Fatal("no DSN for the recipient with NOTIFY=FAILURE")
	}
	if f.Report.EnvelopeID != "QQ314159" {
		t.Errorf("Original-Envelope-Id %q, want QQ314159 (the ENVID)", f.Report.EnvelopeID)
	}
	if rc := f.Report.Recipients[0]; rc.OriginalRecipient != "Orig+fail@y.test" || rc.Action != dsn.ActionFailed {
		t.Errorf("recipient block %+v, want Original-Recipient Orig+fail@y.test, failed", rc)
	}
	if f.HeadersOnly || !strings.Contains(string(f.Original), "Hello.") {
		t.Errorf("RET=FULL: the DSN returns headers only %v, body %q; want the whole message", f.HeadersOnly, f.Original)
	}
	raw := relayRaw(t, relay, "bounce5m+fail@sink.test")
	if !strings.Contains(raw, "Original-Recipient: rfc822;Orig+fail@y.test\r\n") {
		t.Errorf("the DSN does not keep the ORCPT's type rfc822:\n%s", raw)
	}
	if raw := relayRaw(t, relay, "bounce5m+plain@sink.test"); !strings.Contains(raw, "Original-Recipient: utf-8;jörg@y.test\r\n") {
		t.Errorf("the DSN does not keep the ORCPT's type utf-8 and its decoded address:\n%s", raw)
	}
	if h := got["bounce5m+hdrs@sink.test"]; h == nil || !h.HeadersOnly || h.Report.EnvelopeID != "" {
		t.Errorf("RET=HDRS without ENVID: got %+v, want headers only and no Original-Envelope-Id", h)
	}

	// The two that NOTIFY ruled out: recorded, with the reason, not sent.
	for rcpt, why := range map[string]string{
		"bounce5m+never@sink.test":     "NOTIFY=NEVER",
		"bounce5m+delayonly@sink.test": "NOTIFY=DELAY,SUCCESS, without FAILURE",
	} {
		var skipped string
		var sent int64
		if err := st.DB().QueryRow(`SELECT skipped, sent_ns FROM sink_bounces WHERE recipient = ?`, rcpt).Scan(&skipped, &sent); err != nil {
			t.Fatal(err)
		}
		if sent != 0 || !strings.Contains(skipped, why) {
			t.Errorf("%s: bounce sent_ns %d, skipped %q; want not sent, saying %q", rcpt, sent, skipped, why)
		}
		var payload string
		if err := st.DB().QueryRow(`SELECT payload FROM events WHERE kind = 'sink.bounce' AND recipient = ?`, rcpt).Scan(&payload); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(payload, `"sent":false`) || !strings.Contains(payload, why) {
			t.Errorf("%s: sink.bounce event %s, want sent false and the reason", rcpt, payload)
		}
	}
}

// relayRaw returns the raw DSN the relay got about rcpt.
func relayRaw(t *testing.T, relay *smtptest.Server, rcpt string) string {
	t.Helper()
	for _, m := range relay.Messages() {
		if strings.Contains(string(m.Data), "Final-Recipient: rfc822; "+rcpt+"\r\n") {
			return string(m.Data)
		}
	}
	t.Fatalf("no DSN about %s", rcpt)
	return ""
}

func TestDSNDelayedBounceNeedsDelay(t *testing.T) {
	t.Parallel()
	s, st, v, relay := dsnSink(t, func(c *Config) {
		c.Rules = []Rule{{Stage: "data-end", Bounce: &BounceRule{After: ptr(config.Duration(time.Minute)), Reply: "451 4.2.1 mailbox busy"}}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<sender@x.test>")
	c.expect(250, "", "RCPT TO:<wantsdelay@sink.test> NOTIFY=DELAY")
	c.expect(250, "", "RCPT TO:<failureonly@sink.test> NOTIFY=FAILURE")
	c.expect(354, "", "DATA")
	c.body(testMsg)
	c.expect(221, "", "QUIT")
	advanceWhenWaiting(t, v, time.Minute)
	waitBounces(t, st, 2)
	got := dsnsByRecipient(t, relay)
	if len(got) != 1 || got["wantsdelay@sink.test"] == nil || got["wantsdelay@sink.test"].Report.Recipients[0].Action != dsn.ActionDelayed {
		t.Errorf("DSNs %v: want one, delayed, for the recipient with NOTIFY=DELAY", got)
	}
}

func TestDSNDeliveredOnNotifySuccess(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("delivered ", on), func(t *testing.T) {
			t.Parallel()
			s, st, v, relay := dsnSink(t, func(c *Config) { c.Bounce.Delivered = on })
			c := dial(t, addrOf(t, s, "mx"))
			c.greet()
			c.expect(250, "", "MAIL FROM:<sender@x.test> RET=FULL ENVID=ok-1")
			c.expect(250, "", "RCPT TO:<yes@sink.test> NOTIFY=SUCCESS ORCPT=rfc822;yes@sink.test")
			c.expect(250, "", "RCPT TO:<no@sink.test> NOTIFY=FAILURE")
			c.expect(354, "", "DATA")
			c.body(testMsg)
			c.expect(221, "", "QUIT")
			waitSessions(t, st, 1)
			ss, err := SessionByID(context.Background(), st.DB(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if !on {
				if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_bounces`); n != 0 {
					t.Errorf("%d DSNs scheduled with sink.bounce.delivered off, want none", n)
				}
				if !strings.Contains(ss.Transcript, "NOTIFY=SUCCESS for yes@sink.test: no delivered DSN is sent (sink.bounce.delivered is off)") {
					t.Errorf("the transcript does not say that no delivered DSN is sent:\n%s", ss.Transcript)
				}
				return
			}
			advanceWhenWaiting(t, v, 0)
			waitBounces(t, st, 1)
			got := dsnsByRecipient(t, relay)
			p := got["yes@sink.test"]
			if len(got) != 1 || p == nil {
				t.Fatalf("DSNs %v: want one, for yes@sink.test", got)
			}
			rc := p.Report.Recipients[0]
			if rc.Action != dsn.ActionDelivered || rc.Status != "2.0.0" || rc.OriginalRecipient != "yes@sink.test" || p.Report.EnvelopeID != "ok-1" {
				t.Errorf("delivered DSN: %+v ENVID %q, want delivered 2.0.0 with ORCPT and ENVID", rc, p.Report.EnvelopeID)
			}
			// RFC 3461 4.3: RET=FULL is for failures; a success returns the header.
			if !p.HeadersOnly {
				t.Error("a delivered DSN returns the whole message despite RFC 3461 4.3, want headers only")
			}
		})
	}
}

// FuzzParseDSN: any MAIL or RCPT line gives a fault or values that RFC
// 3461 allows, never a panic.
func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{
		"MAIL FROM:<a@x> RET=FULL ENVID=QQ+2B1", "RCPT TO:<\"a>b\"@x> NOTIFY=NEVER ORCPT=rfc822;a+40x",
		"RCPT TO:<a@x> ORCPT=utf-8;\\x{1F600}@x", "MAIL FROM:<> ENVID=+", "RCPT TO:<a@x> NOTIFY=,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		mail := strings.HasPrefix(strings.ToUpper(line), "MAIL")
		d := parseDSN([]byte(line), mail)
		if d == nil || d.fault != nil {
			return
		}
		if !printable(d.mail.EnvID) || len(d.mail.EnvID) > maxEnvID {
			t.Errorf("%q: ENVID %q accepted", line, d.mail.EnvID)
		}
		if d.mail.Ret != "" && d.mail.Ret != "FULL" && d.mail.Ret != "HDRS" {
			t.Errorf("%q: RET %q accepted", line, d.mail.Ret)
		}
		if len(d.rcpt.Notify) > 1 && slices.Contains(d.rcpt.Notify, "NEVER") {
			t.Errorf("%q: NOTIFY %q accepted", line, d.rcpt.Notify)
		}
		if mailaddr.ControlAt(d.rcpt.ORCPT) >= 0 {
			t.Errorf("%q: ORCPT %q has a line break", line, d.rcpt.ORCPT)
		}
	})
}

// SetBounceRelay: a program that starts its relay after the sink (serve,
// with the relay on port 0) tells the sink where it listens; bounces
// pending then go there, and the record names it.
func TestSetBounceRelay(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{Keep: true})
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, nil) // no sink.bounce.relay
	if got := s.BounceRelay(); got != "" {
		t.Fatalf("BounceRelay %q before any is set, want none", got)
	}
	if err := s.SetBounceRelay("no port"); err == nil {
		t.Error("SetBounceRelay took an address without a port")
	}
	sendBounce5m(t, s, st, "sender@x.test")
	if err := s.SetBounceRelay(relay.Addr); err != nil {
		t.Fatal(err)
	}
	// Told again while the bounce goes out: -race sees any unguarded use.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			s.SetBounceRelay(relay.Addr)
		}
	}()
	advanceWhenWaiting(t, v, 5*time.Minute)
	waitBounces(t, st, 1)
	<-done
	if got := dsnsByRecipient(t, relay); got["bounce5m@sink.test"] == nil {
		t.Fatalf("DSNs %v: want the bounce at the relay set after the sink started", got)
	}
	var sent int64
	var errText string
	st.DB().QueryRow(`SELECT sent_ns, error FROM sink_bounces`).Scan(&sent, &errText)
	if sent == 0 || errText != "" {
		t.Errorf("bounce record: sent %d, error %q; want sent", sent, errText)
	}
}

// AwaitBounceRelay: a bounce that falls due after the sink starts but
// before its relay's address is known (serve, between starting the sink
// and its relay) waits for SetBounceRelay instead of failing a try and
// going out a minute later.
func TestAwaitBounceRelay(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{Keep: true})
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: v, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	s, err := New(cfg, Options{Store: st, Clock: v, Logger: quietLogger(), AwaitBounceRelay: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(sctx)
	}()
	sendBounce5m(t, s, st, "sender@x.test")
	advanceWhenWaiting(t, v, 5*time.Minute) // due, and no relay yet
	parked := func() int {
		s.bouncer.mu.Lock()
		defer s.bouncer.mu.Unlock()
		return len(s.bouncer.parked)
	}
	for i := 0; i < 4000 && parked() == 0; i++ {
		time.Sleep(time.Millisecond) // the due bounce's timer runs
	}
	if parked() != 1 {
		t.Fatalf("%d bounces wait for the relay, want the one due", parked())
	}
	var errText string
	st.DB().QueryRow(`SELECT error FROM sink_bounces`).Scan(&errText)
	if errText != "" {
		t.Fatalf("the bounce failed while the sink awaited its relay: %q", errText)
	}
	if err := s.SetBounceRelay(relay.Addr); err != nil {
		t.Fatal(err)
	}
	waitBounces(t, st, 1) // the clock stays put: no retry a minute later
	if got := dsnsByRecipient(t, relay); got["bounce5m@sink.test"] == nil {
		t.Fatalf("DSNs %v: want the bounce that waited for the relay", got)
	}
}

// A bounce relay's 5xx refusal of the DSN is for good: the bounce is not
// tried four more times a minute apart, and the record says why and what
// to change.
func TestBounceRelayRefusesForGood(t *testing.T) {
	t.Parallel()
	refuser, _ := testSink(t, nil, nil) // a sink as the bounce relay: its directives refuse
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	relayAddr := addrOf(t, refuser, "mx")
	s, st := testSink(t, v, func(c *Config) { c.Bounce.Relay = relayAddr })
	sendBounce5m(t, s, st, "rcpt550-5.7.1@x.test") // the DSN goes to it
	advanceWhenWaiting(t, v, 5*time.Minute)
	waitBounces(t, st, 1) // the clock stays put: done at the first try
	var sent int64
	var errText string
	st.DB().QueryRow(`SELECT sent_ns, error FROM sink_bounces`).Scan(&sent, &errText)
	for _, want := range []string{"550", "5.7.1", "refused the DSN for good", "not tried again", "relay.allowed_networks"} {
		if sent != 0 || !strings.Contains(errText, want) {
			t.Errorf("bounce record: sent %d, error %q; want not sent, and the error to say %q", sent, errText, want)
		}
	}
}

// SetBounceSubmitter: serve hands bounces to its own relay in the same
// process, so that a relay port that asks for AUTH (allowed_networks: [])
// does not refuse them; bounces that waited for it go out then, and the
// record names where they went.
func TestSetBounceSubmitter(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, nil)
	s.awaitingRelay.Store(true) // as Options.AwaitBounceRelay does
	sendBounce5m(t, s, st, "sender@x.test")
	advanceWhenWaiting(t, v, 5*time.Minute)
	for i := 0; i < 4000 && s.BounceRelay() == "" && func() bool {
		s.bouncer.mu.Lock()
		defer s.bouncer.mu.Unlock()
		return len(s.bouncer.parked) == 0
	}(); i++ {
		time.Sleep(time.Millisecond)
	}
	type handed struct {
		to  string
		msg []byte
	}
	got := make(chan handed, 4)
	s.SetBounceSubmitter("the test's relay", func(ctx context.Context, to string, msg []byte) error {
		got <- handed{to, msg}
		return nil
	})
	waitBounces(t, st, 1)
	h := <-got
	p, err := dsn.Parse(h.msg)
	if h.to != "sender@x.test" || err != nil || p.Report.Recipients[0].FinalRecipient != "bounce5m@sink.test" {
		t.Fatalf("handed to %q a DSN (%v) %+v; want the bounce for bounce5m@sink.test to sender@x.test", h.to, err, p)
	}
	if s.BounceRelay() != "the test's relay" {
		t.Errorf("BounceRelay %q, want the submitter's name", s.BounceRelay())
	}
	var payload string
	st.DB().QueryRow(`SELECT payload FROM events WHERE kind = 'sink.bounce'`).Scan(&payload)
	if !strings.Contains(payload, `"relay":"the test's relay"`) || !strings.Contains(payload, `"sent":true`) {
		t.Errorf("sink.bounce event %s: want it sent, to the test's relay", payload)
	}
}

// sendBounce5m sends one message from sender to bounce5m@sink.test, which
// the sink accepts and bounces five minutes later, and waits until its
// session is recorded.
func sendBounce5m(t *testing.T, s *Sink, st *store.Store, sender string) {
	t.Helper()
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<%s>", sender)
	c.expect(250, "", "RCPT TO:<bounce5m@sink.test>")
	c.expect(354, "", "DATA")
	c.body(testMsg)
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
}
