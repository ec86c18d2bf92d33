package probe

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// proposedRecord finds the record that an spf.multiple finding says to publish, or
// "" when it proposes none.
var proposedRecord = regexp.MustCompile(`replace them with this one record[^"]*"(v=spf1 [^"]*)"`)

func multipleFinding(t *testing.T, rep SPFReport) Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Code == "spf.multiple" {
			return f
		}
	}
	t.Fatalf("no spf.multiple in %+v", rep.Findings)
	return Finding{}
}

// The record spf.multiple proposes passes the probe when published as it
// is: no ptr, no "?all" when a record had a stricter one, within the
// lookup and void-lookup limits.
func TestMultipleSPFProposesARecordThatPasses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ domain, want string }{
		{"shop.merge.test", "v=spf1 ip4:192.0.2.77 include:_spf.shop.merge.test include:esp.merge.test a mx -all"},
		{"lax.merge.test", "v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 ~all"},
	} {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			r, srv := testResolver(t, "testdata/spfmerge.zone")
			f := multipleFinding(t, CheckSPF(context.Background(), r, discard(), tt.domain))
			m := proposedRecord.FindStringSubmatch(f.Message)
			if m == nil {
				t.Fatalf("spf.multiple proposes no record: %s", f.Message)
			}
			if m[1] != tt.want {
				t.Errorf("proposed record\n  %s\nwant\n  %s", m[1], tt.want)
			}
			srv.Remove(tt.domain, 16) // TXT
			if err := srv.AddString(tt.domain + `. 300 IN TXT "` + m[1] + `"`); err != nil {
				t.Fatal(err)
			}
			again := CheckSPF(context.Background(), r, discard(), tt.domain)
			for _, g := range again.Findings {
				if g.Severity != SevInfo {
					t.Errorf("the proposed record, published, gets %s %s: %s", g.Severity, g.Code, g.Message)
				}
			}
		})
	}
}

// When the records joined need more lookups than allowed, spf.multiple
// says so instead of proposing the joined record as the fix, and its
// counts are those the probe finds once that record is published.
func TestMultipleSPFOverTheLimitSaysSo(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "testdata/spfmerge.zone")
	f := multipleFinding(t, CheckSPF(context.Background(), r, discard(), "fat.merge.test"))
	if proposedRecord.MatchString(f.Message) {
		t.Errorf("spf.multiple proposes a record that exceeds the limits: %s", f.Message)
	}
	for _, want := range []string{"would need 13 DNS lookups, more than the limit of 10", "4 of its lookups find nothing", "flatten"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("spf.multiple lacks %q: %s", want, f.Message)
		}
	}
	joined := regexp.MustCompile(`their terms joined \("(v=spf1 [^"]*)"\)`).FindStringSubmatch(f.Message)
	if joined == nil {
		t.Fatalf("spf.multiple does not show the terms joined: %s", f.Message)
	}
	srv.Remove("fat.merge.test", 16)
	if err := srv.AddString(`fat.merge.test. 300 IN TXT "` + joined[1] + `"`); err != nil {
		t.Fatal(err)
	}
	got := codes(CheckSPF(context.Background(), r, discard(), "fat.merge.test").Findings)
	if got["spf.lookup-limit"] != SevError || got["spf.void-limit"] != SevError {
		t.Errorf("the joined record, published, gets %v; want spf.lookup-limit and spf.void-limit errors, as the advice said", got)
	}
}
