package probe

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTextReportKeepsDNSDataOnOneLine: a TXT record with line breaks and
// tabs (\010, \009 in a zone file) cannot lay out lines of its own in
// the text report: every line is one the report writes, and the record
// shows its line breaks as \n.
func TestTextReportKeepsDNSDataOnOneLine(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "esc.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN esc.test.
@ 300 IN SOA ns.esc.test. h.esc.test. 1 3600 600 86400 300
@ 300 IN TXT "v=spf1 ip4:192.0.2.1\010  error   forged finding\010 -all"
_dmarc 300 IN TXT "v=DMARC1; p=reject; rua=mailto:a\010\010\010b@esc.test"
x._domainkey 300 IN TXT "v=DKIM1;\009k=rsa; p=\010forged"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := testResolver(t, zone)
	rep := Run(context.Background(), Deps{Resolver: r, Logger: discard()}, Request{Domain: "esc.test", NoBlocklists: true, Selectors: []string{"x"}})
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	heading := regexp.MustCompile(`^[A-Z-]+ +(ok|warning|error|unknown)$`)
	for _, l := range strings.Split(out, "\n") {
		ok := l == "" || strings.HasPrefix(l, "relaylab probe ") || strings.HasPrefix(l, "  at ") ||
			strings.HasPrefix(l, "          (") || strings.HasPrefix(l, "          record: ") || heading.MatchString(l)
		for _, sev := range []string{"  error   ", "  warning ", "  info    "} {
			ok = ok || strings.HasPrefix(l, sev)
		}
		if !ok || strings.HasPrefix(l, "  error   forged") || strings.Contains(l, "\t") {
			t.Errorf("a line the report does not write, laid out by a record: %q\nin:\n%s", l, out)
		}
	}
	if !strings.Contains(out, `ip4:192.0.2.1\n  error   forged finding\n -all`) || !strings.Contains(out, `rua=mailto:a\n\n\nb@esc.test`) {
		t.Errorf("the records' line breaks are not shown as \\n:\n%s", out)
	}
}

// TestMailtoWithLineBreakIsMalformed: a rua URI that is mailto: but holds
// a line break is a malformed mailto:, said as such (RFC 3986 2), not
// "not mailto:".
func TestMailtoWithLineBreakIsMalformed(t *testing.T) {
	t.Parallel()
	p, err := ParseDMARC("v=DMARC1; p=reject; rua=mailto:a\n\n\nb@esc.test,mailto:ok@esc.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.RUA) != 1 || p.RUA[0] != "mailto:ok@esc.test" {
		t.Errorf("RUA = %q, want only the valid mailto:ok@esc.test", p.RUA)
	}
	if len(p.Problems) != 1 || !strings.Contains(p.Problems[0].Problem, "line break") {
		t.Errorf("problems %+v, want one that names the line break", p.Problems)
	}
}
