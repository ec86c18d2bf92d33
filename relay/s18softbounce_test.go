package relay

import (
	"context"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/events"
)

// mxHarnessRecords is mxHarness with records (zone-file syntax) served
// beside testdata/relay/mx.zone.
func mxHarnessRecords(t *testing.T, servers map[string]*fakeMTA, records []string, tweaks ...func(*Config)) (*harness, *mapDialer, *dnstest.Server) {
	t.Helper()
	dns := dnstest.Start(t, "../testdata/relay/mx.zone")
	if len(records) > 0 {
		if err := dns.AddString(records...); err != nil {
			t.Fatal(err)
		}
	}
	res, err := NewDNSResolver(dns.Addr)
	if err != nil {
		t.Fatal(err)
	}
	d := &mapDialer{to: map[string]string{}}
	for ip, s := range servers {
		d.to[ip+":25"] = s.addr
	}
	cfg := testConfig("unused:25")
	cfg.Paths = []PathConfig{{Name: "direct", Type: "mx", TLS: "opportunistic"}}
	cfg.Routes = []RouteConfig{{Name: "all", Paths: []string{"direct"}}}
	for _, f := range tweaks {
		f(&cfg)
	}
	return newHarness(t, cfg, Options{Resolver: res, Dialer: d}), d, dns
}

// TestSoftBouncesOnlyRecipientSide: with suppression.soft_bounces: 1, an
// expiry puts the address on the suppression list only when the last
// failure was the receiving side's temporary refusal of the recipient or
// its message; the relay's own setup (credentials, TLS, a smarthost that
// is down, its shaping) and refusals of the sender say nothing about the
// address, and used to suppress valid addresses.
func TestSoftBouncesOnlyRecipientSide(t *testing.T) {
	t.Parallel()
	rcptErr := func(err *smtp.SMTPError) func(*fakeMTA) {
		return func(f *fakeMTA) { f.onRcpt = func(string) error { return err } }
	}
	for _, tc := range []struct {
		name  string
		mta   func(*fakeMTA)
		cfg   func(*Config, string) // the MTA's address
		msgs  int                   // messages to the same path (the last is watched)
		count bool
	}{
		{name: "mailbox full", mta: rcptErr(smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "mailbox full")), count: true},
		{name: "greylisted", mta: rcptErr(smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "greylisted, try again in 5 minutes")), count: true},
		{name: "smarthost's own 451 4.3.0", mta: rcptErr(smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "local problem"))},
		{name: "rate limited", mta: rcptErr(smtpErr(451, smtp.EnhancedCode{4, 7, 28}, "too many messages, slow down"))},
		{name: "wrong password", mta: func(f *fakeMTA) { f.tls = true; f.users = map[string]string{"u": "right"} },
			cfg: func(c *Config, _ string) {
				c.Paths[0].TLS, c.Paths[0].Username, c.Paths[0].Password = "required", "u", "wrong"
			}},
		{name: "smarthost down", cfg: func(c *Config, _ string) { c.Paths[0].Host = closedAddr(t) }},
		{name: "STARTTLS not offered", cfg: func(c *Config, _ string) { c.Paths[0].TLS = "required" }},
		{name: "sending window", cfg: func(c *Config, _ string) { c.Routes[0].Windows = []string{"14:00-15:00"} }},
		{name: "warm-up cap", msgs: 2, cfg: func(c *Config, _ string) {
			c.Paths[0].Warmup, c.Paths[0].WarmupStart = []int{1}, epoch.Format("2006-01-02")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, tc.mta)
			cfg := testConfig(mta.addr)
			cfg.Retry.MaxAttempts = 2
			cfg.Suppression.SoftBounces = 1
			if tc.cfg != nil {
				tc.cfg(&cfg, mta.addr)
			}
			h := newHarness(t, cfg, Options{})
			var ids []string
			for i := 0; i < max(tc.msgs, 1); i++ {
				ids = append(ids, h.enqueue("s@s.test", "ok@r.test"))
			}
			h.runUntil("expiry", h.allDone(ids))
			// Of several messages (the warm-up cap's), the one the cap
			// held, whichever that was.
			var evs []events.Event
			for _, id := range ids {
				evs = append(evs, h.events(events.Filter{Message: id, Kinds: []string{events.RelayExpired}})...)
			}
			if len(evs) != 1 {
				t.Fatalf("%d relay.expired events of %d messages, want one", len(evs), len(ids))
			}
			p := payload(t, evs[0])
			got, _ := p["suppressed"].(bool)
			list, err := h.r.Suppressions(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.count || (len(list) == 1) != tc.count {
				t.Errorf("expiry (last category %v, attempts %v) suppressed %v, list %+v; want suppressed %v", p["last_category"], p["attempts"], got, list, tc.count)
			}
			// The entry and the event say which refusal counted, and the
			// advice that the address is now suppressed (walk V3: "1
			// delivery expired" alone).
			if tc.count && len(list) == 1 {
				if r := list[0].Reason; !strings.Contains(r, "receiving side's refusals: ") || !strings.Contains(r, "("+p["last_category"].(string)+")") {
					t.Errorf("the suppression's reason %q names no refusal", r)
				}
				if a, _ := p["advice"].(string); !strings.Contains(a, "now on the suppression list") {
					t.Errorf("advice %q does not say the address is suppressed", a)
				}
			}
		})
	}
}

// TestSoftBouncesServerSideOnMX: the receiving mail system's own
// temporary failure (451 4.3.0) counts from the recipient domain's MX
// host, where it is the recipient's side, but not from a smarthost (above),
// where it is the relay's own path; a connection refused by every MX host
// does not count, since the relay's own network cannot be told from the
// receiver's.
func TestSoftBouncesServerSideOnMX(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		refuse bool
		count  bool
	}{
		{"451 4.3.0 from the MX host", false, true},
		{"connection refused by the MX host", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, func(f *fakeMTA) {
				f.onRcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "local problem") }
			})
			servers := map[string]*fakeMTA{"192.0.2.1": mta}
			if tc.refuse {
				servers = nil
			}
			h, _, _ := mxHarnessRecords(t, servers, nil, func(c *Config) {
				c.Retry.MaxAttempts = 2
				c.Suppression.SoftBounces = 1
			})
			id := h.enqueue("s@s.test", "ok@shared-a.mx.test")
			h.runUntil("expiry", h.done(id, 1))
			evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayExpired}})
			if len(evs) != 1 {
				t.Fatalf("terminal events %v", h.terminal(id))
			}
			p := payload(t, evs[0])
			if got, _ := p["suppressed"].(bool); got != tc.count {
				t.Errorf("expiry (last category %v) suppressed %v, want %v", p["last_category"], got, tc.count)
			}
		})
	}
}
