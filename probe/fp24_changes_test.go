package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/resolver"
)

// fp24Runner runs m once per call and moves the clock on an hour,
// returning the changes the run confirmed.
func fp24Runner(t *testing.T, m *Monitor, vc *clock.Virtual) func() []Change {
	return func() []Change {
		t.Helper()
		ch, err := m.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		vc.Advance(time.Hour)
		return ch
	}
}

// TestFP24MTASTSSameIDNote: a policy changed while the id of its record
// stayed is a change whose note says so (senders that cached the old one
// keep it until its max_age; publish a new id) and what changed in it,
// read from the stored results; before, the change carried only the two
// hashes.
func TestFP24MTASTSSameIDNote(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	ps := newPolicyServer(t)
	ps.set("mta-sts.good.auth.test", goodPolicy)
	vc := clock.NewVirtual(epoch)
	cfg := DefaultConfig()
	cfg.Domains = Domains("good.auth.test")
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	cfg.BIMILogo = false
	m, err := NewMonitor(cfg, Options{Store: openStore(t, vc), Clock: vc, Logger: discard(), Resolver: r, HTTPClient: ps.client()})
	if err != nil {
		t.Fatal(err)
	}
	run := fp24Runner(t, m, vc)
	run()
	ps.set("mta-sts.good.auth.test", "version: STSv1\nmode: testing\nmx: mx1.auth.test\nmx: *.auth.test\nmx: mx9.other.test\nmax_age: 86400\n")
	run()
	var got *Change
	for _, c := range run() {
		if c.Key == "domain good.auth.test mta-sts" {
			got = &c
		}
	}
	if got == nil {
		t.Fatal("the changed policy was not a change")
	}
	for _, want := range []string{
		"the MTA-STS policy of good.auth.test changed but the id in _mta-sts.good.auth.test did not (still 20260101T000000)",
		"keep applying it until its max_age (604800 seconds, 7 days) runs out (RFC 8461 3.1, 5.1)",
		`publish a new id in _mta-sts.good.auth.test, such as "v=STSv1; id=20260101T000001"`,
		"mode testing, was enforce", "mx lines added: mx9.other.test", "max_age 86400 (1 day), was 604800 (7 days)",
	} {
		if !strings.Contains(got.Note, want) {
			t.Errorf("note %q lacks %q", got.Note, want)
		}
	}
}

// TestFP24MTASTSChangeNote: the note says only what the values show: no
// note when the policy is unchanged or not fetched; for a new id, what
// changed when both policies are known.
func TestFP24MTASTSChangeNote(t *testing.T) {
	t.Parallel()
	was := &MTASTSPolicy{Version: "STSv1", Mode: "enforce", MX: []string{"mx1.a.test", "mx2.a.test"}, MaxAge: 604800}
	is := &MTASTSPolicy{Version: "STSv1", Mode: "enforce", MX: []string{"mx1.a.test"}, MaxAge: 604800}
	for _, tt := range []struct {
		name, old, cur string
		was, is        *MTASTSPolicy
		want           string // "" no note
	}{
		{"same policy, new id", "v=STSv1; id=1 policy aa", "v=STSv1; id=2 policy aa", was, was, ""},
		{"not fetched before", "v=STSv1; id=1", "v=STSv1; id=1 policy bb", nil, is, ""},
		{"new id", "v=STSv1; id=1 policy aa", "v=STSv1; id=2 policy bb", was, is, "changed with a new id (2, was 1), so senders fetch it again: mx lines removed: mx2.a.test"},
		{"new id, old policy gone", "v=STSv1; id=1 policy aa", "v=STSv1; id=2 policy bb", nil, is, ""},
		{"same id, old policy gone", "v=STSv1; id=abc policy aa", "v=STSv1; id=abc policy bb", nil, is, `until its max_age runs out (RFC 8461 3.1, 5.1); publish a new id in _mta-sts.a.test, such as "v=STSv1; id=abc2"`},
	} {
		got := mtaSTSChangeNote("a.test", tt.old, tt.cur, tt.was, tt.is)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s: note %q, want %q", tt.name, got, tt.want)
		}
	}
	for id, want := range map[string]string{"9": "10", "a09": "a10", "x": "x2", "20260301T000000": "20260301T000001"} {
		if got := nextSTSID(id); got != want {
			t.Errorf("nextSTSID(%q) = %q, want %q", id, got, want)
		}
	}
}

// TestFP24KeyRevokedKind: a DKIM key replaced by a revoked one (empty
// p=) is a change of kind key-revoked, not key-rotated; a key published
// again where it was revoked is key-rotated, as before.
func TestFP24KeyRevokedKind(t *testing.T) {
	t.Parallel()
	const key = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	vc := clock.NewVirtual(epoch)
	m, srv, _ := zoneMonitor(t, vc, resolver.Options{Timeout: time.Second, Attempts: 2, CacheSize: -1}, "k.test",
		"k.test. 60 IN SOA ns.k.test. h.k.test. 1 60 60 60 60",
		`s1._domainkey.k.test. 60 IN TXT "`+key+`"`)
	run := fp24Runner(t, m, vc)
	set := func(rec string) {
		t.Helper()
		srv.Remove("s1._domainkey.k.test.", dns.TypeTXT)
		if err := srv.AddString(`s1._domainkey.k.test. 60 IN TXT "` + rec + `"`); err != nil {
			t.Fatal(err)
		}
	}
	kindOf := func(ch []Change) string {
		for _, c := range ch {
			if c.Key == "domain k.test dkim s1" {
				return c.Kind
			}
		}
		return ""
	}
	run()
	set("v=DKIM1; p=")
	run()
	if k := kindOf(run()); k != ChangeKeyRevoked {
		t.Errorf("a key revoked: kind %q, want %q", k, ChangeKeyRevoked)
	}
	set(key)
	run()
	if k := kindOf(run()); k != ChangeKeyRotated {
		t.Errorf("a key published again: kind %q, want %q", k, ChangeKeyRotated)
	}
}
