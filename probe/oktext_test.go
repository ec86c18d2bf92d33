package probe

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
)

// TestOKChecksSayWhatTheyFound: a check that is ok still shows, in the text
// report, what it found (as MX shows its hosts), not a bare "ok" with the
// detail only in --json.
func TestOKChecksSayWhatTheyFound(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	req := Request{Domain: "clean.auth.test", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.50")}, NoBlocklists: true}
	rep := Run(context.Background(), Deps{Resolver: r, Clock: clock.NewVirtual(epoch), Logger: discard(), HTTPClient: &http.Client{}}, req)
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	sections := map[string]string{}
	for _, s := range strings.Split(text, "\n\n")[1:] {
		head, body, _ := strings.Cut(s, "\n")
		sections[strings.Fields(head)[0]] = body
	}
	want := map[string][]string{
		"SPF":     {"record: v=spf1 ip4:192.0.2.50 -all"},
		"PTR":     {"192.0.2.50 → sender.auth.test, forward-confirmed"},
		"TLS-RPT": {"mailto:tlsrpt@clean.auth.test"},
		"BIMI":    {"https://clean.auth.test/logo.svg", "https://clean.auth.test/vmc.pem"},
	}
	for _, c := range rep.Checks {
		head := strings.ToUpper(c.Check)
		if c.Status != StatusOK {
			t.Errorf("%s is %s, want ok (the zone changed?)", head, c.Status)
		}
		body := sections[head]
		if strings.TrimSpace(body) == "" {
			t.Errorf("%s ok prints nothing of what it found:\n%s", head, text)
		}
		for _, w := range want[head] {
			if !strings.Contains(body, w) {
				t.Errorf("%s section lacks %q:\n%s", head, w, body)
			}
		}
	}
}

// TestPTRNamesSaysWhichConfirm: with several PTR names, the fact says which
// resolve back to the IP.
func TestPTRNamesSaysWhichConfirm(t *testing.T) {
	t.Parallel()
	ip := netip.MustParseAddr("192.0.2.50")
	got := ptrNames(ip, []string{"a.test", "b.test"}, []string{"b.test"})
	want := "192.0.2.50 → a.test, which does not resolve back to 192.0.2.50; b.test, forward-confirmed"
	if got != want {
		t.Errorf("ptrNames = %q, want %q", got, want)
	}
}
