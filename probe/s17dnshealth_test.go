package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// TestMonitorDomainDNSStopsAnswering: a watched domain whose name servers
// answer REFUSED (or SERVFAIL) to every lookup of its names is a
// dns-failing change once two runs in a row saw it, with a note that says
// what receivers meet and what to check, and a dns-answering change when
// they answer again; one run of it, or timeouts (the monitor's own
// network, maybe), change nothing. Every check's facts were left out as
// unknown, so a lapsed delegation went unnoticed by webhook users.
func TestMonitorDomainDNSStopsAnswering(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(epoch)
	m, srv, _ := zoneMonitor(t, vc, resolver.Options{Timeout: 100 * time.Millisecond, Attempts: 1, CacheSize: -1}, "lame.test",
		`lame.test. 60 IN SOA ns.lame.test. h.lame.test. 1 3600 600 86400 60`,
		`lame.test. 60 IN TXT "v=spf1 -all"`,
		`_dmarc.lame.test. 60 IN TXT "v=DMARC1; p=reject"`,
	)
	run := func(step string) []Change {
		t.Helper()
		ch, err := m.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		vc.Advance(time.Hour)
		var dnsChanges []Change
		for _, c := range ch {
			if strings.HasSuffix(c.Key, " dns") {
				dnsChanges = append(dnsChanges, c)
			} else {
				t.Errorf("%s: change %+v, want none but the DNS's", step, c)
			}
		}
		return dnsChanges
	}
	if ch := run("baseline"); len(ch) != 0 {
		t.Fatalf("baseline: %+v", ch)
	}
	srv.Set("lame.test", dnstest.Timeout)
	run("timeouts")
	if ch := run("timeouts again"); len(ch) != 0 {
		t.Errorf("timeouts twice: %+v, want no change (the monitor's network may be at fault)", ch)
	}
	srv.Set("lame.test", dnstest.Refused)
	if ch := run("refused once"); len(ch) != 0 {
		t.Errorf("refused once: %+v, want none before a second run confirms it", ch)
	}
	ch := run("refused twice")
	if len(ch) != 1 || ch[0].Kind != ChangeDNSFailing || ch[0].Key != "domain lame.test dns" || ch[0].Old != "answers" || ch[0].New != "failing: REFUSED" ||
		!strings.Contains(ch[0].Note, "temperror") || !strings.Contains(ch[0].Note, "lame delegation") {
		t.Fatalf("refused twice: %+v, want one dns-failing change from answers to failing: REFUSED, with a note", ch)
	}
	if ch := run("refused a third time"); len(ch) != 0 {
		t.Errorf("refused a third time: %+v, want no new change", ch)
	}
	srv.Set("lame.test", dnstest.ServFail)
	run("servfail")
	if ch := run("servfail twice"); len(ch) != 1 || ch[0].Kind != ChangeDNSFailing || ch[0].New != "failing: SERVFAIL" {
		t.Errorf("servfail twice: %+v, want a dns-failing change to SERVFAIL", ch)
	}
	srv.Set("lame.test", dnstest.Normal)
	run("answers once")
	if ch := run("answers twice"); len(ch) != 1 || ch[0].Kind != ChangeDNSAnswering || ch[0].New != "answers" || !strings.Contains(ch[0].Note, "answer again") {
		t.Errorf("answers again: %+v, want one dns-answering change", ch)
	}
}
