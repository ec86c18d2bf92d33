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
