package probe

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
)

// authKeys reads the DKIM key records of testdata/dns/auth.zone by
// selector: sel2048, sel1024, sel512, revoked, ed.
func authKeys(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../testdata/dns/auth.zone")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]string{}
	zp := dns.NewZoneParser(f, "", "auth.zone")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if txt, isTXT := rr.(*dns.TXT); isTXT {
			if sel, found := strings.CutSuffix(txt.Hdr.Name, "._domainkey.keys.auth.test."); found {
				keys[sel] = strings.Join(txt.Txt, "")
			}
		}
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	for _, sel := range []string{"sel2048", "sel1024", "sel512", "revoked", "ed"} {
		if keys[sel] == "" {
			t.Fatalf("auth.zone has no key for %s", sel)
		}
	}
	return keys
}

// TestDMARCChangeNote: a DMARC record whose policy, subdomain policy or
// pct gets weaker says so and what it does to failing mail; one that
// gets stronger says so more mildly; a change that touches none of them,
// or records that do not parse, have no such note.
func TestDMARCChangeNote(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, old, cur string
		want           []string // "" for no note
	}{
		{"reject to none", "v=DMARC1; p=reject", "v=DMARC1; p=none",
			[]string{"DMARC policy weakened from reject to none: receivers will now deliver mail that fails DMARC", "if that was not intended, publish the previous record again: \"v=DMARC1; p=reject\""}},
		{"reject to quarantine", "v=DMARC1; p=reject; rua=mailto:d@b.test", "v=DMARC1; p=quarantine; rua=mailto:d@b.test",
			[]string{"DMARC policy weakened from reject to quarantine: receivers will now put mail that fails DMARC in spam"}},
		{"pct lowered", "v=DMARC1; p=reject", "v=DMARC1; p=reject; pct=20",
			[]string{"DMARC pct lowered from 100 to 20: receivers will now apply p=reject to 20% of the mail that fails DMARC and put the rest in spam (RFC 7489 6.6.4)", "not intended"}},
		{"sp weakened", "v=DMARC1; p=reject", "v=DMARC1; p=reject; sp=none",
			[]string{"DMARC subdomain policy (sp) weakened from reject to none: receivers will now deliver mail from subdomains that fails DMARC"}},
		{"none to reject", "v=DMARC1; p=none", "v=DMARC1; p=reject",
			[]string{"DMARC policy strengthened from none to reject: receivers will now refuse mail that fails DMARC", "aggregate reports (rua)"}},
		{"pct raised", "v=DMARC1; p=quarantine; pct=10", "v=DMARC1; p=quarantine",
			[]string{"DMARC pct raised from 10 to 100: receivers will now apply p=quarantine to 100% of the mail that fails DMARC;"}},
		{"weaker and stronger", "v=DMARC1; p=reject; sp=none", "v=DMARC1; p=quarantine; sp=reject",
			[]string{"DMARC policy weakened from reject to quarantine", "sp) strengthened from none to reject", "not intended"}},
		{"enforcing record removed", "v=DMARC1; p=quarantine", "",
			[]string{"DMARC record removed, with its policy p=quarantine: receivers will now deliver mail that fails DMARC"}},
		{"rua only", "v=DMARC1; p=reject", "v=DMARC1; p=reject; rua=mailto:d@b.test", []string{""}},
		{"pct under p=none", "v=DMARC1; p=none", "v=DMARC1; p=none; pct=10", []string{""}},
		{"none removed", "v=DMARC1; p=none", "", []string{""}},
		{"added", "", "v=DMARC1; p=reject", []string{""}},
		{"several records", "v=DMARC1; p=reject", "v=DMARC1; p=reject | v=DMARC1; p=none", []string{""}},
		{"does not parse", "v=DMARC1; p=reject", "v=DMARC1; p=block", []string{""}},
	} {
		got := dmarcChangeNote(tc.old, tc.cur)
		for _, w := range tc.want {
			if w == "" && got != "" || !strings.Contains(got, w) {
				t.Errorf("%s: note %q, want it to hold %q", tc.name, got, w)
			}
		}
		weaker := strings.Contains(got, "weakened") || strings.Contains(got, "lowered") || strings.Contains(got, "removed")
		if weaker != strings.Contains(got, "not intended") {
			t.Errorf("%s: note %q: a weaker policy, and only that, says what to do if it was not intended", tc.name, got)
		}
	}
}

// TestDKIMChangeNote: a key rotated to a shorter one, or revoked, says
// what that does to signatures; a longer one or one published again
// says so mildly; keys of another type or of the same size have no
// note.
func TestDKIMChangeNote(t *testing.T) {
	t.Parallel()
	k := authKeys(t)
	for _, tc := range []struct {
		name, old, cur, want string
	}{
		{"2048 to 1024", k["sel2048"], k["sel1024"], "DKIM key for selector s1 shortened from 2048 to 1024 bits: under the 2048 bits RFC 8301 3.2 recommends"},
		{"1024 to 512", k["sel1024"], k["sel512"], "DKIM key for selector s1 shortened from 1024 to 512 bits: verifiers must reject RSA keys under 1024 bits (RFC 8301 3.2), so every signature with it now fails DKIM"},
		{"revoked", k["sel2048"], k["revoked"], "DKIM key for selector s1 revoked (empty p=): every signature with it now fails DKIM"},
		{"1024 to 2048", k["sel1024"], k["sel2048"], "DKIM key for selector s1 lengthened from 1024 to 2048 bits: its signatures are harder to forge"},
		{"unrevoked", k["revoked"], k["sel2048"], "DKIM key for selector s1 published again (rsa, 2048 bits), where it was revoked"},
		{"rsa to ed25519", k["sel2048"], k["ed"], ""},
		{"same size", k["sel2048"], strings.Replace(k["sel2048"], "v=DKIM1; k=rsa;", "v=DKIM1; k=rsa; t=s;", 1), ""},
		{"does not parse", k["sel2048"], "v=DKIM1; p=bm90IGEga2V5", ""},
	} {
		if got := dkimChangeNote("s1", tc.old, tc.cur); tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: note %q, want it to start %q", tc.name, got, tc.want)
		}
	}
}

// TestMonitorNotesWeakerPolicyAndKey: a watched domain's DMARC policy
// weakened from reject to none and its DKIM key rotated from 2048 to
// 1024 bits are confirmed changes whose notes say what that means, in
// the probe.changed event and the webhook's change alike. Before, both
// came without a note.
func TestMonitorNotesWeakerPolicyAndKey(t *testing.T) {
	t.Parallel()
	k := authKeys(t)
	r, srv := spfWorld(t, []string{
		`_dmarc.b.test. 60 IN TXT "v=DMARC1; p=reject"`,
		`s1._domainkey.b.test. 60 IN TXT "` + k["sel2048"] + `"`,
	})
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.Domains = DomainList{{Name: "b.test", Selectors: []string{"s1"}}}
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	run := func(step string) []Change {
		t.Helper()
		ch, err := m.cycle(context.Background(), true, false)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		vc.Advance(time.Hour)
		return ch
	}
	if ch := run("baseline"); len(ch) != 0 {
		t.Fatalf("baseline: %+v", ch)
	}
	srv.Remove("_dmarc.b.test.", dns.TypeTXT)
	srv.Remove("s1._domainkey.b.test.", dns.TypeTXT)
	if err := srv.AddString(`_dmarc.b.test. 60 IN TXT "v=DMARC1; p=none"`, `s1._domainkey.b.test. 60 IN TXT "`+k["sel1024"]+`"`); err != nil {
		t.Fatal(err)
	}
	run("first sight")
	got := map[string]Change{}
	for _, c := range run("second sight") {
		got[c.Key] = c
	}
	if c := got["domain b.test dmarc"]; c.Kind != ChangeRecordChanged || !strings.HasPrefix(c.Note, "DMARC policy weakened from reject to none: receivers will now deliver mail that fails DMARC") {
		t.Errorf("DMARC change %+v, want a record-changed whose note says the policy weakened", c)
	}
	if c := got["domain b.test dkim s1"]; c.Kind != ChangeKeyRotated || !strings.HasPrefix(c.Note, "DKIM key for selector s1 shortened from 2048 to 1024 bits") {
		t.Errorf("DKIM change %+v, want a key-rotated whose note says the key is shorter", c)
	}
	// The stored change, as the history and the webhook read it, has the
	// note too.
	hist, err := ChangeHistory(context.Background(), st.DB(), "b.test", 0)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history %+v, %v", hist, err)
	}
	for _, c := range hist {
		if c.Note == "" {
			t.Errorf("stored change %s has no note", c.Key)
		}
	}
}
