package probe

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// badCount is a count of one with a plural noun, or a status name where
// words belong.
var badCount = regexp.MustCompile(`\b1 (DNSKEY |DS |other TXT |TXT )?(records|lookups|seconds|days|hours|keys|times)\b|\b1\.0 (days|hours)|is (not-listed|unknown)`)

// Findings print counts in agreement with their nouns, statuses as words,
// and each void lookup once.
func TestFindingsGrammar(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/dnssec.zone", "../testdata/dns/blocklists.zone", "testdata/grammar.zone")
	ctx := context.Background()
	var msgs []string
	for _, d := range []string{"signed.test", "nods.test"} {
		for _, f := range CheckDNSSEC(ctx, r, discard(), d).Findings {
			msgs = append(msgs, f.Message)
		}
	}
	for _, d := range []string{"oneother.grammar.test", "voids.grammar.test"} {
		for _, f := range CheckSPF(ctx, r, discard(), d).Findings {
			msgs = append(msgs, f.Message)
		}
	}
	for _, h := range CheckHealth(ctx, r, discard(), testZones(t)) {
		msgs = append(msgs, h.Detail)
	}
	for _, sec := range []int{1, 59, 3600, 86400, 90000, 604800} {
		msgs = append(msgs, "max_age ("+inWords(sec)+")")
	}
	all := strings.Join(msgs, "\n")
	for _, m := range msgs {
		if bad := badCount.FindString(m); bad != "" {
			t.Errorf("%q in %s", bad, m)
		}
	}
	for _, want := range []string{
		"the zone signed.test is signed: 1 DNSKEY record, and the DS record at the parent matches it",
		"the zone nods.test publishes 1 DNSKEY record but its parent has no DS record",
		"the SPF record is 25 and 1 other TXT record of oneother.grammar.test",
		"should be listed but is not listed",
		"should not be listed but is listed (127.0.0.2)",
		"should be listed but could not be checked: dns A 2.0.0.127.absent.bl.test.",
		"3 lookups find nothing (a:nx.grammar.test (in vc.grammar.test; 3 times)), more than",
		"max_age (1 second)", "max_age (1 hour)", "max_age (1 day)", "max_age (7 days)", "max_age (59 seconds)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no finding says %q in\n%s", want, all)
		}
	}
}
