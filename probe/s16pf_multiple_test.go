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

// TestMonitorSecondRecordIsAChange: a second SPF or DMARC record beside
// the first is a record-changed whose new value holds both (as
// spf.multiple and dmarc.multiple show them) and whose note says what it
// means, never record-removed with an empty new value; going back to one
// is a record-changed too, not record-added. The reports list every
// record, and keep "record" for the one that applies.
func TestMonitorSecondRecordIsAChange(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(epoch)
	m, srv, r := zoneMonitor(t, vc, resolver.Options{Timeout: time.Second, Attempts: 2, CacheSize: -1}, "two.test",
		`two.test. 60 IN SOA ns.two.test. h.two.test. 1 3600 600 86400 60`,
		`two.test. 60 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`_dmarc.two.test. 60 IN TXT "v=DMARC1; p=reject"`,
	)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	run := func(step string) map[string]Change {
		t.Helper()
		ch, err := m.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		vc.Advance(time.Hour)
		out := map[string]Change{}
		for _, c := range ch {
			if strings.HasSuffix(c.Key, " spf") || strings.HasSuffix(c.Key, " dmarc") {
				out[c.Key[strings.LastIndex(c.Key, " ")+1:]] = c
			}
		}
		return out
	}
	run("baseline")
	must(srv.AddString(`two.test. 60 IN TXT "v=spf1 ip4:192.0.2.2 -all"`, `_dmarc.two.test. 60 IN TXT "v=DMARC1; p=none"`))
	run("first sight")
	got := run("second sight")
	for _, w := range []struct{ key, old, new, note string }{
		{"spf", "v=spf1 ip4:192.0.2.1 -all", "v=spf1 ip4:192.0.2.1 -all | v=spf1 ip4:192.0.2.2 -all", "2 SPF records"},
		{"dmarc", "v=DMARC1; p=reject", "v=DMARC1; p=reject | v=DMARC1; p=none", "2 DMARC records"},
	} {
		c, ok := got[w.key]
		if !ok || c.Kind != ChangeRecordChanged || c.Old != w.old || c.New != w.new || !strings.Contains(c.Note, w.note) {
			t.Errorf("second %s record: %+v (found %v), want %s old %q new %q, a note saying %q", w.key, c, ok, ChangeRecordChanged, w.old, w.new, w.note)
		}
	}
	rep := Run(context.Background(), Deps{Resolver: r, Clock: vc}, Request{Domain: "two.test", NoBlocklists: true})
	if rep.SPF.Record != "" || len(rep.SPF.Records) != 2 || rep.DMARC.Record != "" || len(rep.DMARC.Records) != 2 {
		t.Errorf("report with two records each: spf record %q records %q, dmarc record %q records %q; want no record and both",
			rep.SPF.Record, rep.SPF.Records, rep.DMARC.Record, rep.DMARC.Records)
	}
	srv.Remove("two.test.", dns.TypeTXT)
	srv.Remove("_dmarc.two.test.", dns.TypeTXT)
	must(srv.AddString(`two.test. 60 IN TXT "v=spf1 ip4:192.0.2.2 -all"`, `_dmarc.two.test. 60 IN TXT "v=DMARC1; p=none"`))
	run("one again, first sight")
	got = run("one again, second sight")
	for _, w := range []struct{ key, new string }{{"spf", "v=spf1 ip4:192.0.2.2 -all"}, {"dmarc", "v=DMARC1; p=none"}} {
		c, ok := got[w.key]
		if !ok || c.Kind != ChangeRecordChanged || !strings.Contains(c.Old, " | ") || c.New != w.new || !strings.Contains(c.Note, "one") {
			t.Errorf("back to one %s record: %+v (found %v), want %s to %q with a note", w.key, c, ok, ChangeRecordChanged, w.new)
		}
	}
	rep = Run(context.Background(), Deps{Resolver: r, Clock: vc}, Request{Domain: "two.test", NoBlocklists: true})
	if rep.SPF.Record != "v=spf1 ip4:192.0.2.2 -all" || len(rep.SPF.Records) != 1 || len(rep.DMARC.Records) != 1 {
		t.Errorf("report with one record each: spf %q %q, dmarc %q", rep.SPF.Record, rep.SPF.Records, rep.DMARC.Records)
	}
}
