package probe

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
)

// TestWP26DMARCBrokenIsNotRemoved: a DMARC record edited into one that
// receivers discard ("v=DMARC1 p=reject", a space for the ";") is no
// record that applies, so the change's new value is empty; its note said
// "DMARC record removed" while the record was still there. It says the
// record was replaced by one receivers discard, quotes it and gives the
// record to publish.
func TestWP26DMARCBrokenIsNotRemoved(t *testing.T) {
	t.Parallel()
	run, set, remove, _ := changesMonitor(t)
	run()
	wp26DMARC(set, remove, "v=DMARC1 p=quarantine; rua=mailto:d@chg.test")
	c := changeOf(run(), "domain chg.test dmarc")
	if c == nil {
		t.Fatal("the broken DMARC record was not a change")
	}
	if c.New != "" {
		t.Errorf("new %q, want empty: no record applies", c.New)
	}
	for _, want := range []string{
		"not removed but replaced by one that receivers discard",
		"its policy p=quarantine no longer applies: receivers will now deliver mail that fails DMARC",
		`"v=DMARC1 p=quarantine; rua=mailto:d@chg.test" at _dmarc.chg.test is not read as DMARC`,
		`publish it as "v=DMARC1; p=quarantine; rua=mailto:d@chg.test"`,
	} {
		if !strings.Contains(c.Note, want) {
			t.Errorf("note %q lacks %q", c.Note, want)
		}
	}
	if strings.Contains(c.Note, "DMARC record removed") {
		t.Errorf("note %q says the record was removed", c.Note)
	}

	// A record truly removed keeps its own note.
	wp26DMARC(set, remove, "v=DMARC1; p=reject")
	run()
	remove("_dmarc.chg.test.", dns.TypeTXT)
	c = changeOf(run(), "domain chg.test dmarc")
	if c == nil || !strings.HasPrefix(c.Note, "DMARC record removed, with its policy p=reject") {
		t.Errorf("removed record: change %+v, want the note of a removal", c)
	}
}

// wp26DMARC puts rec in place of chg.test's DMARC record.
func wp26DMARC(set func(...string), remove func(string, uint16), rec string) {
	remove("_dmarc.chg.test.", dns.TypeTXT)
	set(`_dmarc.chg.test. 60 IN TXT "` + rec + `"`)
}

// TestWP26DKIMKeyRemovedNote: a DKIM key tied to a watched domain that
// is removed fails every signature still made with it, as a revoked one
// does, yet its change had no note while a revocation had one.
func TestWP26DKIMKeyRemovedNote(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	key := "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	if err := srv.AddString(
		"gone.test. 60 IN SOA ns.gone.test. h.gone.test. 1 3600 600 86400 60",
		`gone.test. 60 IN TXT "v=spf1 -all"`,
		`s1._domainkey.gone.test. 60 IN TXT "`+key+`"`,
	); err != nil {
		t.Fatal(err)
	}
	vc := clock.NewVirtual(epoch)
	cfg := DefaultConfig()
	cfg.Domains = DomainList{{Name: "gone.test", Selectors: []string{"s1"}}}
	m, err := NewMonitor(cfg, Options{Store: openStore(t, vc), Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{Transport: policyOnly{}}})
	if err != nil {
		t.Fatal(err)
	}
	var all []Change
	for i := 0; i < 3; i++ {
		if i == 1 {
			srv.Remove("s1._domainkey.gone.test.", dns.TypeTXT)
		}
		ch, err := m.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ch...)
		vc.Advance(time.Hour)
	}
	c := changeOf(all, "domain gone.test dkim s1")
	if c == nil || c.Kind != ChangeRecordRemoved {
		t.Fatalf("changes %+v, want the key's record-removed", all)
	}
	for _, want := range []string{
		"DKIM key for selector s1 removed",
		"mail still signed with s1 fails DKIM",
		"publish the old record again",
		"if the rotation away from s1 is over, nothing is lost",
	} {
		if !strings.Contains(c.Note, want) {
			t.Errorf("note %q lacks %q", c.Note, want)
		}
	}
	if got := dkimChangeNote("s1", "v=DKIM1; p=", ""); got != "" {
		t.Errorf("a revoked key removed: note %q, want none (its signatures failed already)", got)
	}
}
