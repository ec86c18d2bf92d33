package probe

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTextReportShowsControlCharacters: a record that carries terminal
// escape sequences (anyone may publish one for a domain being probed) is
// printed with them escaped, instead of clearing the reader's screen or
// retitling the window.
func TestTextReportShowsControlCharacters(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "esc.zone")
	if err := os.WriteFile(zone, []byte("$ORIGIN esc.test.\n@ 300 IN SOA ns.esc.test. h.esc.test. 1 3600 600 86400 300\n"+
		`@ 300 IN TXT "v=spf1 \027[2J\027]0;pwned\007 ip4:192.0.2.1 -all"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := testResolver(t, zone)
	rep := Run(context.Background(), Deps{Resolver: r, Logger: discard()}, Request{Domain: "esc.test", NoBlocklists: true})
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `v=spf1 \x1b[2J\x1b]0;pwned\x07 ip4:192.0.2.1 -all`) {
		t.Errorf("the record's control characters reach the output raw, or are not shown escaped:\n%q", out)
	}
}

// TestNearDMARCFixes: a record that is almost DMARC gets the right reason
// and a proposed record that is valid DMARC, not the same mistake again.
func TestNearDMARCFixes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ rec, why, fixed string }{
		{"v=DMARC1p=reject", `"v=DMARC1" is followed by "p" instead of ";"`, "v=DMARC1; p=reject"},
		{"v=DMARC1,p=reject", `"v=DMARC1" is followed by "," instead of ";"`, "v=DMARC1; p=reject"},
		{"v=dmarc1 p=reject rua=mailto:d@x.test", `its version is "dmarc1"`, "v=DMARC1; p=reject; rua=mailto:d@x.test"},
		{`"v=DMARC1; p=none"`, "quotes that belong to the zone file's syntax", "v=DMARC1; p=none"},
	} {
		if got := whyNotDMARC(tt.rec); !strings.Contains(got, tt.why) {
			t.Errorf("whyNotDMARC(%q) = %q, want %q in it", tt.rec, got, tt.why)
		}
		got := fixedNearDMARC(tt.rec)
		if got != tt.fixed {
			t.Errorf("fixedNearDMARC(%q) = %q, want %q", tt.rec, got, tt.fixed)
		}
		if _, err := ParseDMARC(got); err != nil || !IsDMARC(got) {
			t.Errorf("the proposed record %q is no valid DMARC record: %v", got, err)
		}
	}
}
