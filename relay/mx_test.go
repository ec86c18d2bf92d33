package relay

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
)

// mapDialer sends connections for the zone's TEST-NET addresses to servers
// on 127.0.0.1, and refuses the others.
type mapDialer struct {
	mu    sync.Mutex
	to    map[string]string // "192.0.2.1:25" -> "127.0.0.1:port"
	asked []string
}

var _ Dialer = (*mapDialer)(nil)

// dialled returns the addresses asked for so far.
func (d *mapDialer) dialled() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.asked...)
}

func (d *mapDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.asked = append(d.asked, addr)
	real, ok := d.to[addr]
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("dial %s: connection refused", addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, real)
}

// mxHarness is a relay delivering straight to MX hosts from
// testdata/relay/mx.zone; tweaks change its configuration first.
func mxHarness(t *testing.T, servers map[string]*fakeMTA, tweaks ...func(*Config)) (*harness, *mapDialer) {
	t.Helper()
	h, d, _ := mxHarnessRecords(t, servers, nil, tweaks...)
	return h, d
}

func TestMXPreferenceOrderAndNextMX(t *testing.T) {
	t.Parallel()
	deferring := func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "local problem") }
	}
	mx1, mx2 := startMTA(t, deferring), startMTA(t, nil)
	// mx1 defers, mx2 accepts, mx3 is never needed.
	h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": mx1, "192.0.2.2": mx2})
	id := h.enqueue("a@s.test", "u@multi.mx.test")
	h.runUntil("delivery", h.done(id, 1))
	if want := []string{"192.0.2.1:25", "192.0.2.2:25"}; !reflect.DeepEqual(d.asked, want) {
		t.Errorf("dialled %v, want %v (preference order, next MX after a 4xx)", d.asked, want)
	}
	var hosts []string
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}) {
		hosts = append(hosts, e.Target)
	}
	if want := []string{"mx1.mx.test", "mx2.mx.test"}; !reflect.DeepEqual(hosts, want) {
		t.Errorf("attempt hosts %v, want %v", hosts, want)
	}
	if len(mx2.received()) != 1 {
		t.Errorf("mx2 got %d messages", len(mx2.received()))
	}
}

// TestMXRecipient4xxGoesToNextMXAlone: a 4xx to one RCPT at a non-final
// MX sends that recipient on to the next MX in the same attempt, as
// RFC 5321 5.1 asks (try the list in order until delivery succeeds) and
// as Postfix does (smtp_rcpt_fail keeps a soft-failed recipient for a
// backup server unless this was the final one). The recipient taken at
// the first MX is not sent again, and one refused with a 5xx stays
// refused.
func TestMXRecipient4xxGoesToNextMXAlone(t *testing.T) {
	t.Parallel()
	mx1 := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			switch to {
			case "later@multi.mx.test":
				return smtpErr(451, smtp.EnhancedCode{4, 2, 1}, "mailbox busy, try later")
			case "gone@multi.mx.test":
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			}
			return nil
		}
	})
	mx2 := startMTA(t, nil)
	h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": mx1, "192.0.2.2": mx2})
	id := h.enqueue("a@s.test", "now@multi.mx.test", "later@multi.mx.test", "gone@multi.mx.test")
	h.runUntil("delivery", h.done(id, 3))
	if want := []string{"192.0.2.1:25", "192.0.2.2:25"}; !reflect.DeepEqual(d.asked, want) {
		t.Errorf("dialled %v, want %v", d.asked, want)
	}
	if got := mx1.received(); len(got) != 1 || !reflect.DeepEqual(got[0].to, []string{"now@multi.mx.test"}) {
		t.Errorf("mx1 took %+v, want one copy for now@ only", got)
	}
	if got := mx2.received(); len(got) != 1 || !reflect.DeepEqual(got[0].to, []string{"later@multi.mx.test"}) {
		t.Errorf("mx2 took %+v, want one copy for later@ only", got)
	}
	want := map[string][]string{"now@multi.mx.test": {events.RelayDelivered}, "later@multi.mx.test": {events.RelayDelivered},
		"gone@multi.mx.test": {events.RelayBounced}}
	if got := h.terminal(id); !reflect.DeepEqual(got, want) {
		t.Errorf("terminal events %v, want %v", got, want)
	}
}

// TestMX421TriesNextMX: a 421 from one MX host moves the attempt on to
// the next MX, as Postfix does after a 421 from a server that is not its
// last; the rest it starts (the MX host set is one destination) holds
// back the destination's other mail, not this attempt's next MX.
func TestMX421TriesNextMX(t *testing.T) {
	t.Parallel()
	for _, stage := range []string{"mail", "rcpt"} {
		t.Run(stage, func(t *testing.T) {
			t.Parallel()
			busy := func() error { return smtpErr(421, smtp.EnhancedCode{4, 3, 2}, "shutting down, try another server") }
			mx1 := startMTA(t, func(f *fakeMTA) {
				if stage == "mail" {
					f.onMail = func(string) error { return busy() }
				} else {
					f.onRcpt = func(string) error { return busy() }
				}
			})
			mx2 := startMTA(t, nil)
			h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": mx1, "192.0.2.2": mx2})
			id := h.enqueue("a@s.test", "u@multi.mx.test")
			h.runUntil("delivery", h.done(id, 1))
			if want := []string{"192.0.2.1:25", "192.0.2.2:25"}; !reflect.DeepEqual(d.asked, want) {
				t.Errorf("dialled %v, want %v (the next MX after a 421)", d.asked, want)
			}
			del := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}})
			if len(del) != 1 || del[0].Time != epoch || len(mx2.received()) != 1 {
				t.Fatalf("delivered %+v, mx2 took %d; want delivery at mx2 in the first attempt", del, len(mx2.received()))
			}
		})
	}
}

func TestMXConnectionFailureTriesNext(t *testing.T) {
	t.Parallel()
	mx3 := startMTA(t, nil)
	h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.3": mx3})
	id := h.enqueue("a@s.test", "u@multi.mx.test")
	h.runUntil("delivery", h.done(id, 1))
	if len(d.asked) != 3 || len(mx3.received()) != 1 {
		t.Errorf("dialled %v; mx3 got %d", d.asked, len(mx3.received()))
	}
}

func TestMXSpecialCases(t *testing.T) {
	t.Parallel()
	implicit := startMTA(t, nil)
	tests := []struct {
		rcpt     string
		terminal string
		category string
	}{
		{"u@nullmx.mx.test", events.RelayBounced, "no-such-domain"},
		{"u@implicit.mx.test", events.RelayDelivered, ""},
		{"u@dangling.mx.test", events.RelayExpired, "dns-failure"},
		{"u@broken.mx.test", events.RelayExpired, "dns-failure"},
	}
	h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.4": implicit})
	for _, tt := range tests {
		id := h.enqueue("", tt.rcpt)
		h.runUntil(tt.rcpt, h.done(id, 1))
		evs := h.events(events.Filter{Message: id})
		last := evs[len(evs)-1]
		if last.Kind != tt.terminal {
			t.Errorf("%s: ended %s, want %s", tt.rcpt, last.Kind, tt.terminal)
			continue
		}
		if tt.category != "" {
			p := payload(t, last)
			if p["category"] != tt.category && p["last_category"] != tt.category {
				t.Errorf("%s: payload %v, want category %s", tt.rcpt, p, tt.category)
			}
		}
		if tt.rcpt == "u@nullmx.mx.test" {
			if n := len(h.attemptTimes(id, tt.rcpt)); n != 0 {
				t.Errorf("null MX: %d attempts, want none", n)
			}
			if last.Time != epoch {
				t.Errorf("null MX bounced after %v, want at once", last.Time.Sub(epoch))
			}
		}
	}
	for _, a := range d.asked {
		if a != "192.0.2.4:25" {
			t.Errorf("dialled %s", a)
		}
	}
}

type staticMX []MX

func (s staticMX) LookupMX(context.Context, string) ([]MX, error)         { return s, nil }
func (s staticMX) LookupIP(context.Context, string) ([]netip.Addr, error) { return nil, nil }

var _ Resolver = staticMX(nil)

func TestEqualPreferenceShuffledBySeed(t *testing.T) {
	t.Parallel()
	res := staticMX{{"c", 10}, {"a", 10}, {"z", 5}, {"b", 10}, {"d", 20}}
	orders := map[string]bool{}
	for seed := int64(0); seed < 20; seed++ {
		hs, _, err := mxHosts(context.Background(), res, "x.test", seed)
		if err != nil {
			t.Fatal(err)
		}
		if hs[0] != "z" || hs[4] != "d" {
			t.Fatalf("seed %d: %v: preference order broken", seed, hs)
		}
		again, _, _ := mxHosts(context.Background(), res, "x.test", seed)
		if !reflect.DeepEqual(hs, again) {
			t.Fatalf("seed %d: %v then %v: not reproducible", seed, hs, again)
		}
		orders[fmt.Sprint(hs[1:4])] = true
	}
	if len(orders) < 3 {
		t.Errorf("equal preferences were not shuffled: %v", orders)
	}
}

func TestDomainsSharingMXHostsShareShaping(t *testing.T) {
	t.Parallel()
	mx1 := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if to == "first@shared-a.mx.test" {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many messages, slow down")
			}
			return nil
		}
	})
	h, _ := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": mx1})
	h.r.paths["direct"].cfg.Backoff = dur(10 * time.Minute)
	a := h.enqueue("", "first@shared-a.mx.test")
	h.runUntil("the 421", func() bool { return len(h.events(events.Filter{Kinds: []string{events.RelayDeferred}})) == 1 })
	b := h.enqueue("", "second@shared-b.mx.test")
	h.runUntil("second delivered", h.done(b, 1))
	d := h.events(events.Filter{Message: b, Kinds: []string{events.RelayDelivered}})
	if at := d[0].Time.Sub(epoch); at < 10*time.Minute {
		t.Errorf("shared-b delivered at +%v while its MX host set rested after shared-a's 421", at)
	}
	_ = a
}
