package relay

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestIDNDomainLookedUpInALabels: the MX of a recipient domain written in
// U-labels is looked up in A-labels (RFC 5890 2.3.2.1). It used to be
// asked in raw UTF-8, answered NXDOMAIN, and bounced and suppressed a
// valid address.
func TestIDNDomainLookedUpInALabels(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) { f.utf8 = true })
	h, d, _ := mxHarnessRecords(t, map[string]*fakeMTA{"192.0.2.1": mta},
		[]string{"xn--bcher-kva.mx.test. 300 IN MX 10 mx1.mx.test."})
	id := h.enqueue("s@s.test", "ok@bücher.mx.test")
	h.runUntil("an outcome", h.done(id, 1))
	if got := h.terminal(id)["ok@bücher.mx.test"]; !reflect.DeepEqual(got, []string{events.RelayDelivered}) {
		var why []string
		for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}}) {
			why = append(why, string(e.Payload))
		}
		t.Fatalf("terminal %v, want delivered (dialled %v, %v)", got, d.dialled(), why)
	}
	if m := mta.received(); len(m) != 1 || !reflect.DeepEqual(m[0].to, []string{"ok@bücher.mx.test"}) {
		t.Errorf("received %+v, want the address as given to a server with SMTPUTF8", m)
	}
}

// TestIDNRoutesMatchEitherSpelling: a route's domain in A-labels matches
// the recipient written in U-labels, and the other way round.
func TestIDNRoutesMatchEitherSpelling(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pattern, domain string
		want            bool
	}{
		{"xn--bcher-kva.test", "bücher.test", true},
		{"bücher.test", "xn--bcher-kva.test", true},
		{"BÜCHER.test", "bücher.test", true},
		{"*.xn--bcher-kva.test", "mail.bücher.test", true},
		{"*.bücher.test", "xn--bcher-kva.test", true},
		{"xn--bcher-kva.test", "bucher.test", false},
	} {
		if got := matchDomains([]string{tt.pattern}, tt.domain); got != tt.want {
			t.Errorf("matchDomains(%q, %q) = %v, want %v", tt.pattern, tt.domain, got, tt.want)
		}
	}
}

// TestIDNSuppressionEitherSpelling: an address put on the suppression
// list in one spelling of its domain stops it in the other, and comes off
// the list in either.
func TestIDNSuppressionEitherSpelling(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) { f.utf8 = true })
	h := newHarness(t, testConfig(mta.addr), Options{})
	ctx := context.Background()
	for _, tt := range []struct{ listed, sent string }{
		{"ok+sup@xn--bcher-kva.test", "ok+sup@bücher.test"},
		{"ok+sup2@bücher.test", "ok+sup2@xn--bcher-kva.test"},
	} {
		if err := h.r.Suppress(ctx, tt.listed, ""); err != nil {
			t.Fatal(err)
		}
		id := h.enqueue("s@s.test", tt.sent)
		h.runUntil("an outcome", h.done(id, 1))
		if got := h.terminal(id)[tt.sent]; !reflect.DeepEqual(got, []string{events.RelaySuppressed}) {
			t.Errorf("listed %s, sent to %s: terminal %v, want suppressed", tt.listed, tt.sent, got)
		}
		if ok, err := h.r.Unsuppress(ctx, tt.sent); err != nil || !ok {
			t.Errorf("unsuppress %s (listed as %s): %v, %v", tt.sent, tt.listed, ok, err)
		}
	}
}

// TestIDNDowngradeToALabels: RFC 6531 3.2: to a server without SMTPUTF8,
// an address whose local part is ASCII goes with its domain in A-labels,
// where it used to be bounced 553 5.6.7; a non-ASCII local part, or a
// header that is not ASCII, still needs SMTPUTF8 and is refused.
func TestIDNDowngradeToALabels(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, from, to, header string
		wantFrom, wantTo       string // "" when refused
		refusal                string // what the refusal blames
	}{
		{"recipient", "s@s.test", "ok@bücher.test", "Subject: hi", "s@s.test", "ok@xn--bcher-kva.test", ""},
		{"sender and recipient", "s@bücher.test", "ok@bücher.test", "Subject: hi", "s@xn--bcher-kva.test", "ok@xn--bcher-kva.test", ""},
		{"non-ASCII local part", "s@s.test", "zoë@bücher.test", "Subject: hi", "", "", "the envelope has a non-ASCII"},
		{"non-ASCII sender local part", "jürgen@s.test", "ok@bücher.test", "Subject: hi", "", "", "the envelope has a non-ASCII"},
		// The envelope alone could go: the header is to blame (walk V3).
		{"UTF-8 header", "s@s.test", "ok@bücher.test", "Subject: grüße", "", "", "the message's header has non-ASCII"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, nil) // no SMTPUTF8
			h := newHarness(t, testConfig(mta.addr), Options{})
			id, err := h.r.Enqueue(context.Background(), Submission{From: tt.from, Recipients: []Recipient{{Address: tt.to}},
				Data: []byte("From: s@s.test\r\n" + tt.header + "\r\n\r\nHello.\r\n")})
			if err != nil {
				t.Fatal(err)
			}
			h.runUntil("an outcome", h.done(id, 1))
			var got []fakeMsg
			for _, m := range mta.received() {
				if m.from != "" { // not a DSN
					got = append(got, m)
				}
			}
			term := h.terminal(id)[tt.to]
			if tt.wantTo == "" {
				evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}})
				if len(got) != 0 || len(evs) != 1 || !strings.Contains(string(evs[0].Payload), "5.6.7") || !strings.Contains(string(evs[0].Payload), tt.refusal) {
					t.Fatalf("received %+v, bounced %v: want a 5.6.7 refusal", got, evs)
				}
				return
			}
			if !reflect.DeepEqual(term, []string{events.RelayDelivered}) || len(got) != 1 {
				t.Fatalf("terminal %v, received %+v: want delivered", term, got)
			}
			if got[0].from != tt.wantFrom || !reflect.DeepEqual(got[0].to, []string{tt.wantTo}) {
				t.Errorf("MAIL FROM %q RCPT TO %v, want %q %q", got[0].from, got[0].to, tt.wantFrom, tt.wantTo)
			}
			if strings.Contains(string(got[0].data), "bücher") {
				t.Errorf("the header has the U-label:\n%s", got[0].data)
			}
		})
	}
}
