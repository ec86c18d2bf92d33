package probe

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// espWorld serves example.test, whose SPF record includes
// _spf.esp.test, which includes n records of its own: 1+n lookups.
func espWorld(t *testing.T, own string, n int) (*resolver.Client, *dnstest.Server) {
	t.Helper()
	rrs := []string{
		"example.test. 60 IN SOA ns.example.test. hm.example.test. 1 60 60 60 30",
		"esp.test. 60 IN SOA ns.esp.test. hm.esp.test. 1 60 60 60 30",
		`example.test. 60 IN TXT "` + own + `"`,
		espRecord(n),
	}
	for i := 0; i < 12; i++ {
		rrs = append(rrs, fmt.Sprintf(`n%d.esp.test. 60 IN TXT "v=spf1 ip4:198.51.100.%d -all"`, i, i))
	}
	return servedWorld(t, rrs)
}

// espRecord is the record of _spf.esp.test with n includes.
func espRecord(n int) string {
	terms := []string{"v=spf1"}
	for i := 0; i < n; i++ {
		terms = append(terms, fmt.Sprintf("include:n%d.esp.test", i))
	}
	return `_spf.esp.test. 60 IN TXT "` + strings.Join(append(terms, "~all"), " ") + `"`
}

func setTXT(t *testing.T, srv *dnstest.Server, name, rr string) {
	t.Helper()
	srv.Remove(name, dns.TypeTXT)
	if err := srv.AddString(rr); err != nil {
		t.Fatal(err)
	}
}

// spfMonitor watches example.test, with its DKIM selector s1, on
// espWorld; keys are the relay's signing keys.
func spfMonitor(t *testing.T, r resolver.Resolver, keys ...SigningKey) (*Monitor, func(step string) []Change) {
	t.Helper()
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.Domains = DomainList{{Name: "example.test", Selectors: []string{"s1"}}}
	// A list of IPs, and no IP watched: no blocklist is asked.
	cfg.Zones = []Zone{{Zone: "none.bl.test", Kind: ZoneIP}}
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}, SigningKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return m, func(step string) []Change {
		t.Helper()
		ch, err := m.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		vc.Advance(time.Hour)
		return ch
	}
}

// TestSPFResultChangesThroughAnInclude: with example.test's own record
// unchanged, an included record that gains an include takes the policy
// from 10 DNS lookups to 11 (RFC 7208 4.6.4: permerror). That is a change
// (key "domain D spf-result"), with a note saying the own record did not
// change; back to 10 is one too. Before, history showed warning -> error
// and no change was recorded, so no webhook post either.
func TestSPFResultChangesThroughAnInclude(t *testing.T) {
	t.Parallel()
	r, srv := espWorld(t, "v=spf1 include:_spf.esp.test -all", 9)
	_, run := spfMonitor(t, r)
	if ch := run("baseline"); len(ch) != 0 {
		t.Fatalf("baseline produced changes %+v", ch)
	}
	setTXT(t, srv, "_spf.esp.test.", espRecord(10))
	if ch := run("first sight"); len(ch) != 0 {
		t.Fatalf("a change seen once was reported: %+v", ch)
	}
	ch := run("second sight")
	c := changeOf(ch, "domain example.test spf-result")
	if len(ch) != 1 || c == nil {
		t.Fatalf("changes = %+v, want one of key domain example.test spf-result: the policy went to 11 lookups through an include", ch)
	}
	if c.Kind != ChangeResultChanged || c.Old != "pass (10 lookups)" || c.New != "permerror: spf.lookup-limit (11 lookups)" {
		t.Errorf("change = kind %q old %q new %q, want %q, %q, %q", c.Kind, c.Old, c.New, ChangeResultChanged, "pass (10 lookups)", "permerror: spf.lookup-limit (11 lookups)")
	}
	t.Logf("note: %s", c.Note)
	for _, want := range []string{"permerror", "own SPF record did not change", "11 DNS lookups"} {
		if !strings.Contains(c.Note, want) {
			t.Errorf("note %q lacks %q", c.Note, want)
		}
	}
	setTXT(t, srv, "_spf.esp.test.", espRecord(9))
	run("back once")
	ch = run("back twice")
	c = changeOf(ch, "domain example.test spf-result")
	if len(ch) != 1 || c == nil || c.Old != "permerror: spf.lookup-limit (11 lookups)" || c.New != "pass (10 lookups)" {
		t.Fatalf("changes = %+v, want spf-result back from permerror to pass (10 lookups)", ch)
	}
	t.Logf("note: %s", c.Note)
	if !strings.Contains(c.Note, "no longer") {
		t.Errorf("note %q does not say SPF no longer gives permerror", c.Note)
	}
}

// TestSPFRecordChangeNotesPermerror: the domain's own record changed into
// one that gives permerror: its record-changed change says so in a note,
// as a weakened DMARC policy's does, and one back says SPF no longer
// does. The outcome is no change of its own then (the record change
// tells it), but its state follows: a later change through an include
// starts from it.
func TestSPFRecordChangeNotesPermerror(t *testing.T) {
	t.Parallel()
	good := "v=spf1 include:_spf.esp.test -all"
	bad := "v=spf1 include:_spf.esp.test a:n0.esp.test -all"
	r, srv := espWorld(t, good, 9)
	_, run := spfMonitor(t, r)
	run("baseline")
	setTXT(t, srv, "example.test.", `example.test. 60 IN TXT "`+bad+`"`)
	run("first sight")
	ch := run("second sight")
	rec := changeOf(ch, "domain example.test spf")
	if rec == nil || len(ch) != 1 {
		t.Fatalf("changes = %+v, want the record changed, alone (its note tells the outcome)", ch)
	}
	t.Logf("record note: %s", rec.Note)
	if rec.Kind != ChangeRecordChanged || !strings.Contains(rec.Note, "from pass to permerror") || !strings.Contains(rec.Note, "spf.lookup-limit") {
		t.Errorf("record change kind %q note %q: want record-changed with a note saying SPF went from pass to permerror (spf.lookup-limit)", rec.Kind, rec.Note)
	}
	setTXT(t, srv, "_spf.esp.test.", espRecord(8))
	run("include once")
	ch = run("include twice")
	res := changeOf(ch, "domain example.test spf-result")
	if res == nil || res.Old != "permerror: spf.lookup-limit (11 lookups)" || res.New != "pass (10 lookups)" {
		t.Fatalf("changes = %+v, want spf-result from permerror (11 lookups), the state the record change left, to pass (10 lookups)", ch)
	}
	setTXT(t, srv, "example.test.", `example.test. 60 IN TXT "`+good+`"`)
	run("back once")
	ch = run("back twice")
	rec = changeOf(ch, "domain example.test spf")
	if len(ch) != 1 || rec == nil || !strings.Contains(rec.Note, "needs 9 DNS lookups where it needed 10") {
		t.Errorf("changes = %+v: want the record change back alone, its note saying the lookups it needs now", ch)
	}
}

// TestSPFRecordChangeNoLongerPermerror: a record mended is a record
// change whose note says SPF no longer gives permerror.
func TestSPFRecordChangeNoLongerPermerror(t *testing.T) {
	t.Parallel()
	r, srv := espWorld(t, "v=spf1 include:_spf.esp.test ip4:192.0.2.1/33 -all", 9)
	_, run := spfMonitor(t, r)
	run("baseline")
	setTXT(t, srv, "example.test.", `example.test. 60 IN TXT "v=spf1 include:_spf.esp.test -all"`)
	run("first sight")
	ch := run("second sight")
	rec := changeOf(ch, "domain example.test spf")
	if len(ch) != 1 || rec == nil || !strings.Contains(rec.Note, "no longer gives permerror (it gave permerror: spf.syntax)") {
		t.Errorf("changes = %+v: want the record change alone, its note saying SPF no longer gives permerror", ch)
	}
}

// TestDMARCResultChangesThroughReportDomain: the report domain withdraws
// its authorisation to receive example.test's reports (RFC 7489 7.1),
// with example.test's own DMARC record unchanged: a change of key
// "domain D dmarc-result", from the same mechanism as SPF's.
func TestDMARCResultChangesThroughReportDomain(t *testing.T) {
	t.Parallel()
	r, srv := espWorld(t, "v=spf1 -all", 0)
	if err := srv.AddString(
		"reports.test. 60 IN SOA ns.reports.test. hm.reports.test. 1 60 60 60 30",
		"reports.test. 60 IN MX 10 in.reports.test.",
		"in.reports.test. 60 IN A 192.0.2.200",
		`example.test._report._dmarc.reports.test. 60 IN TXT "v=DMARC1"`,
		`_dmarc.example.test. 60 IN TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.test"`,
	); err != nil {
		t.Fatal(err)
	}
	_, run := spfMonitor(t, r)
	run("baseline")
	srv.Remove("example.test._report._dmarc.reports.test.", dns.TypeTXT)
	run("first sight")
	ch := run("second sight")
	c := changeOf(ch, "domain example.test dmarc-result")
	if len(ch) != 1 || c == nil || c.Kind != ChangeResultChanged || strings.Contains(c.Old, "external-unauthorised") ||
		!strings.Contains(c.New, "dmarc.external-unauthorised") || !strings.Contains(c.Note, "now finds dmarc.external-unauthorised") {
		t.Fatalf("changes = %+v, want one result-changed of domain example.test dmarc-result to dmarc.external-unauthorised, with a note", ch)
	}
}
