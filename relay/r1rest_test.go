package relay

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// r1Resolver is DNS from maps: MX records by domain, addresses by host;
// any other name does not exist.
type r1Resolver struct {
	mx map[string][]MX
	ip map[string]string
}

var _ Resolver = r1Resolver{}

func (r r1Resolver) LookupMX(_ context.Context, domain string) ([]MX, error) {
	if mx, ok := r.mx[strings.ToLower(domain)]; ok {
		return mx, nil
	}
	if _, ok := r.ip[strings.ToLower(domain)]; ok {
		return nil, nil
	}
	return nil, fmt.Errorf("%s: %w", domain, ErrNoSuchDomain)
}

func (r r1Resolver) LookupIP(_ context.Context, host string) ([]netip.Addr, error) {
	if a, ok := r.ip[strings.ToLower(host)]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, fmt.Errorf("%s: %w", host, ErrNoSuchDomain)
}

// r1Zone serves two.test and other.test from MX 10 mx1 and MX 20 mx2;
// down.test from MX 10 mx3 and MX 20 mx4 (nothing listens for mx4); one.test
// from mx5 alone; eq.test from two hosts of equal preference, eqa and eqb.
var r1Zone = r1Resolver{
	mx: map[string][]MX{
		"two.test":   {{"mx1.r1.test", 10}, {"mx2.r1.test", 20}},
		"other.test": {{"mx2.r1.test", 20}, {"mx1.r1.test", 10}},
		"down.test":  {{"mx3.r1.test", 10}, {"mx4.r1.test", 20}},
		"one.test":   {{"mx5.r1.test", 10}},
		"eq.test":    {{"eqa.r1.test", 10}, {"eqb.r1.test", 10}},
	},
	ip: map[string]string{
		"mx1.r1.test": "192.0.2.1", "mx2.r1.test": "192.0.2.2", "mx3.r1.test": "192.0.2.3",
		"mx4.r1.test": "192.0.2.4", "mx5.r1.test": "192.0.2.5",
		"eqa.r1.test": "192.0.2.11", "eqb.r1.test": "192.0.2.12",
	},
}

// r1MXHarness is a relay on one mx path, direct, resting a destination
// 10 minutes, over r1Zone, whose addresses reach servers (by address;
// others refuse the connection).
func r1MXHarness(t *testing.T, servers map[string]*fakeMTA, tweaks ...func(*Config)) *harness {
	t.Helper()
	d := &mapDialer{to: map[string]string{}}
	for ip, s := range servers {
		d.to[ip+":25"] = s.addr
	}
	cfg := testConfig("unused:25")
	cfg.Paths = []PathConfig{{Name: "direct", Type: "mx", TLS: "none", Backoff: dur(10 * time.Minute)}}
	cfg.Routes = []RouteConfig{{Name: "all", Paths: []string{"direct"}}}
	for _, f := range tweaks {
		f(&cfg)
	}
	return newHarness(t, cfg, Options{Resolver: r1Zone, Dialer: d})
}

// refusing421 is a server that answers 421 at RCPT to the addresses for
// which refuse says so, and takes the others.
func refusing421(t *testing.T, refuse func(string) bool) *fakeMTA {
	t.Helper()
	return startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if refuse(to) {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections, try later")
			}
			return nil
		}
	})
}

// TestR1MX421ThenNextMXTookItNoRest: an MX host's 421 that the next MX
// host follows by taking the message rests nothing: the next messages to
// the domain, and to another domain served by the same MX hosts, go at
// once (Postfix throttles a destination only when no host of it worked).
// They were held for the backoff, "rests until ... after 421", though
// the destination had just taken a message.
func TestR1MX421ThenNextMXTookItNoRest(t *testing.T) {
	t.Parallel()
	mx1 := refusing421(t, func(to string) bool { return to == "first@two.test" })
	mx2 := startMTA(t, nil)
	h := r1MXHarness(t, map[string]*fakeMTA{"192.0.2.1": mx1, "192.0.2.2": mx2})
	id1 := h.enqueue("a@s.test", "first@two.test")
	h.runUntil("the first delivered", h.done(id1, 1))
	for _, e := range h.events(events.Filter{Message: id1, Kinds: []string{events.RelayAttempt}}) {
		if _, ok := payload(t, e)["rest"]; ok {
			t.Errorf("attempt at %s began a rest: %s", e.Target, e.Payload)
		}
	}
	ids := []string{h.enqueue("a@s.test", "second@two.test"), h.enqueue("a@s.test", "third@other.test")}
	h.runUntil("the others delivered", h.allDone(ids))
	for _, id := range ids {
		for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}}) {
			t.Errorf("message %s deferred, want it sent at once: %s", id, e.Payload)
		}
		d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}})
		if len(d) != 1 || d[0].Time != epoch {
			t.Errorf("message %s delivered %d times, want once at once", id, len(d))
		}
	}
}

// TestR1MX421NoHostWorkedRests: when no MX host after the one that
// answered 421 works (the next refuses the connection), the destination
// rests as before, and holds the next message back until the rest ends.
func TestR1MX421NoHostWorkedRests(t *testing.T) {
	t.Parallel()
	mx3 := refusing421(t, func(string) bool { return true })
	h := r1MXHarness(t, map[string]*fakeMTA{"192.0.2.3": mx3})
	id1 := h.enqueue("a@s.test", "first@down.test")
	h.runUntil("the 421", h.deferrals(id1, 1))
	rested := false
	for _, e := range h.events(events.Filter{Message: id1, Kinds: []string{events.RelayAttempt}}) {
		if rest, ok := payload(t, e)["rest"].(map[string]any); ok && rest["destination"] == "mx:direct:mx3.r1.test,mx4.r1.test" {
			rested = true
		}
	}
	if !rested {
		t.Error("no attempt began the rest")
	}
	id2 := h.enqueue("a@s.test", "second@down.test")
	h.runUntil("the hold", h.deferrals(id2, 1))
	m, err := h.r.Message(context.Background(), id2)
	if err != nil || len(m.Recipients) != 1 || m.Recipients[0].Hold == nil ||
		!strings.Contains(m.Recipients[0].Hold.Text, "destination mx:direct:mx3.r1.test,mx4.r1.test rests until "+epoch.Add(10*time.Minute).Format(time.RFC3339)) {
		t.Errorf("second message %+v (%v), want it held by the rest", m.Recipients, err)
	}
}

// TestR1RestHoldNamesNoOtherMessage: the hold of mail that a rest begun
// by another message's 421 holds back names the reply, not that
// message's recipient, sender or queue id, which went on into the held
// message's DSN to its own sender: on an ESP, customer B learned
// customer A's recipient. The operator's view (HeldBack, which queue
// retry prints) still names them.
func TestR1RestHoldNamesNoOtherMessage(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "secret@") {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "<"+to+"> from <Alice@A.test>: too many connections")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	cfg.Retry.Schedule = []config.Duration{dur(time.Minute)}
	cfg.Retry.MaxAge = dur(5 * time.Minute)
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	idA := h.enqueue("alice@a.test", "secret@r.test")
	h.runUntil("the 421", h.deferrals(idA, 1))
	h.v.Advance(time.Minute)
	idB := h.enqueue("bob@b.test", "two@r.test")
	h.runUntil("the hold", h.deferrals(idB, 1))
	leaks := func(what, text string) {
		t.Helper()
		for _, s := range []string{"secret@r.test", "alice@a.test", idA} {
			if strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
				t.Errorf("%s names %q of the other message:\n%s", what, s, text)
			}
		}
	}
	m, err := h.r.Message(ctx, idB)
	if err != nil || m.Recipients[0].Hold == nil {
		t.Fatalf("message B %+v (%v): want a hold", m, err)
	}
	hold := m.Recipients[0].Hold.Text
	want := "not tried: destination path:primary rests until " + epoch.Add(10*time.Minute).Format(time.RFC3339) +
		" after 421 4.7.0 <[recipient]> from <[sender]>: too many connections"
	if hold != want {
		t.Errorf("hold %q, want %q", hold, want)
	}
	leaks("the hold", hold)
	for _, e := range h.events(events.Filter{Message: idB}) {
		leaks(e.Kind+" event", string(e.Payload))
	}
	held, err := h.r.HeldBack(ctx, idB)
	if err != nil || len(held) != 1 || !strings.Contains(held[0].Reply.Text, "to secret@r.test (message "+idA+")") {
		t.Errorf("HeldBack %+v (%v), want the operator told the recipient and message whose 421 began the rest", held, err)
	}
	// The delay DSN and the expiry DSN to B's sender.
	h.runUntil("B expired", h.done(idB, 1))
	var dsns int
	for _, e := range h.events(events.Filter{Message: idB, Kinds: []string{events.RelayDSN}}) {
		id := payload(t, e)["dsn_message"].(string)
		dm, err := h.r.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		dsns++
		if !strings.Contains(string(dm.Data), "rests until") {
			t.Errorf("DSN %s does not name the rest:\n%s", id, dm.Data)
		}
		leaks("DSN "+id, string(dm.Data))
	}
	if dsns == 0 {
		t.Error("no DSN to B's sender")
	}
}

// TestR1RestoredRestHoldNamesNoOtherMessage: a relay restarted during a
// rest reads its cause back from the store; the holds it then writes name
// no other message either, and HeldBack still names the origin.
func TestR1RestoredRestHoldNamesNoOtherMessage(t *testing.T) {
	t.Parallel()
	h, mta, idA := restingHarness(t)
	h.v.Advance(time.Minute)
	h2 := restarted(t, h, mta.addr)
	idB := h2.enqueue("bob@b.test", "two@r.test")
	h2.runUntil("the hold", h2.deferrals(idB, 1))
	ctx := context.Background()
	m, err := h2.r.Message(ctx, idB)
	if err != nil || m.Recipients[0].Hold == nil {
		t.Fatalf("message B %+v (%v): want a hold", m, err)
	}
	want := "not tried: destination path:primary rests until " + epoch.Add(10*time.Minute).Format(time.RFC3339) +
		" after 421 4.7.0 too many connections, slow down"
	if got := m.Recipients[0].Hold.Text; got != want {
		t.Errorf("hold after a restart %q, want %q", got, want)
	}
	held, err := h2.r.HeldBack(ctx, idB)
	if err != nil || len(held) != 1 || !strings.Contains(held[0].Reply.Text, "to one@r.test (message "+idA+")") {
		t.Errorf("HeldBack after a restart %+v (%v), want the origin of the rest", held, err)
	}
}

// TestR1RetryNamesRestOfUntriedMX: queue retry (HeldBack) names the hold
// of a recipient that a rest of its MX hosts held back before any host of
// them was tried: its hold names the rest. It said "due now", and the
// relay held the recipient again at once.
func TestR1RetryNamesRestOfUntriedMX(t *testing.T) {
	t.Parallel()
	mx5 := refusing421(t, func(string) bool { return true })
	h := r1MXHarness(t, map[string]*fakeMTA{"192.0.2.5": mx5})
	ctx := context.Background()
	id1 := h.enqueue("a@s.test", "first@one.test")
	h.runUntil("the 421", h.deferrals(id1, 1))
	h.v.Advance(time.Minute)
	id2 := h.enqueue("a@s.test", "second@one.test")
	h.runUntil("the hold", h.deferrals(id2, 1))
	end := epoch.Add(10 * time.Minute)
	held, err := h.r.HeldBack(ctx, id2)
	if err != nil || len(held) != 1 || !held[0].Until.Equal(end) ||
		!strings.Contains(held[0].Reply.Text, "destination mx:direct:mx5.r1.test rests until") {
		t.Fatalf("HeldBack %+v (%v), want second@one.test held until %v by the rest of mx5", held, err, end)
	}
	if _, err := h.r.RetryNow(ctx, id2); err != nil {
		t.Fatal(err)
	}
	m, err := h.r.Message(ctx, id2)
	if err != nil || !m.Recipients[0].Due.Equal(end) {
		t.Errorf("after retry %+v (%v), want due at the rest's end %v", m.Recipients, err, end)
	}
}

// TestR1LegacyHoldCauseNotRepeated: a store from before holds left out the
// recipient and message of the rest's reply has them in its holds; a
// relay that reads such a rest back (with no attempt to tell the cause)
// keeps them for the operator, not for the holds it writes.
func TestR1LegacyHoldCauseNotRepeated(t *testing.T) {
	t.Parallel()
	h, _, _ := restingHarness(t)
	h.v.Advance(time.Minute)
	id2 := h.enqueue("a@s.test", "two@r.test")
	h.runUntil("the hold", h.deferrals(id2, 1))
	ctx := context.Background()
	until := epoch.Add(10 * time.Minute)
	legacy := "not tried: destination path:primary rests until " + until.Format(time.RFC3339) + " after 421 4.7.0 busy to one@r.test (message m1)"
	if err := h.store.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(`UPDATE relay_recipients SET hold = ? WHERE message_id = ?`, legacy, id2); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM events WHERE kind = ?`, events.RelayAttempt)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rests, err := h.r.storedRestCauses(ctx, h.v.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := storedRest{until, restCause{public: "421 4.7.0 busy", origin: "421 4.7.0 busy to one@r.test (message m1)"}}
	if got := rests["path:primary"]; got != want {
		t.Errorf("stored rest %+v, want %+v", got, want)
	}
}
