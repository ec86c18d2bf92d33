package probe

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// TestDMARCPNoneQuotesTheRecord: a record whose p or sp is invalid is
// read as p=none (RFC 7489 6.6.3); dmarc.p-none says what the record
// says and why, not "p=none at _dmarc..." of a record that says
// p=reject.
func TestDMARCPNoneQuotesTheRecord(t *testing.T) {
	t.Parallel()
	r, _ := spfWorld(t, []string{
		`_dmarc.sp.b.test. 60 IN TXT "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@b.test"`,
		`_dmarc.p.b.test. 60 IN TXT "v=DMARC1; p=rejekt; rua=mailto:d@b.test"`,
	})
	for _, tt := range []struct{ domain, want string }{
		{"sp.b.test", "the policy for sp.b.test is none, though the record says p=reject: its sp=bogus is not none, quarantine or reject"},
		{"p.b.test", "the policy for p.b.test is none: its p=rejekt is not none, quarantine or reject"},
	} {
		rep := CheckDMARC(context.Background(), r, discard(), tt.domain)
		msgs, ok := findingWith(rep.Findings, "dmarc.p-none", tt.want)
		if !ok || strings.Contains(strings.Join(msgs, "\n"), "(p=none at") {
			t.Errorf("%s: dmarc.p-none %q, want %q", tt.domain, msgs, tt.want)
		}
	}
}

// TestWebhookConfigKeys: a webhook secret without a url is an error at
// probe.webhook.url (it was accepted, and no change was ever posted), and
// a backoff or timeout of 0 is an error at its own key.
func TestWebhookConfigKeys(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ yaml, key string }{
		{"webhook: {secret: 0123456789abcdef0123}\n", "probe.webhook.url"},
		{"webhook: {url: 'https://hooks.example/x', backoff: 0s}\n", "probe.webhook.backoff"},
		{"webhook: {url: 'https://hooks.example/x', timeout: 0s}\n", "probe.webhook.timeout"},
	} {
		cfg := DefaultConfig()
		if err := config.Decode("probe.yaml", []byte(tt.yaml), &cfg); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tt.key, "probe.")+":") {
			t.Errorf("%q: Decode = %v, want an error at %s", tt.yaml, err, tt.key)
		}
		cfg = DefaultConfig()
		config.Decode("probe.yaml", []byte(tt.yaml), &cfg) //nolint:errcheck // checked above
		if fe, ok := cfg.Validate("probe").(*config.FieldError); !ok || fe.Key != tt.key {
			t.Errorf("%q: Validate = %v, want an error at %s", tt.yaml, fe, tt.key)
		}
	}
}

// TestSPFStringSplitQuotesWholeTerms: the string-split finding quotes the
// terms on each side of the boundary whole ("v=spf1", not "=spf1") and
// the term receivers read, and says when the split is fine.
func TestSPFStringSplitQuotesWholeTerms(t *testing.T) {
	t.Parallel()
	r, _ := spfWorld(t, []string{`b.test. 60 IN TXT "v=spf1 ip4:192.0.2.1" "0 -all"`})
	rep := CheckSPF(context.Background(), r, discard(), "b.test")
	want := `"ip4:192.0.2.1" ends one string and "0" starts the next, which receivers read as the one term "ip4:192.0.2.10"; that is right if the term was split only to fit strings of 255 bytes`
	if msgs, ok := findingWith(rep.Findings, "spf.string-split", want); !ok {
		t.Errorf("string-split %q, want %q", msgs, want)
	}
}

// TestHealthChecksOnlyListsInUse: a watchlist of domains only does not
// health-check IP lists (whose warnings filled the log at each start);
// the domain lists are still checked.
func TestHealthChecksOnlyListsInUse(t *testing.T) {
	t.Parallel()
	r, _ := spfWorld(t, []string{`b.test. 60 IN TXT "v=spf1 -all"`})
	var logs bytes.Buffer
	vc := clock.NewVirtual(epoch)
	cfg := DefaultConfig()
	cfg.Domains = Domains("b.test")
	cfg.Zones = []Zone{{Zone: "ip.bl.test", Kind: ZoneIP}, {Zone: "dom.bl.test", Kind: ZoneDomain}}
	for i := range cfg.Zones {
		if err := cfg.Zones[i].Validate(""); err != nil {
			t.Fatal(err)
		}
	}
	m, err := NewMonitor(cfg, Options{Store: openStore(t, vc), Clock: vc, Resolver: r, HTTPClient: &http.Client{},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	m.RunOnce(context.Background()) //nolint:errcheck // neither list is served
	if s := logs.String(); strings.Contains(s, "zone=ip.bl.test") || !strings.Contains(s, "zone=dom.bl.test") {
		t.Errorf("log:\n%s\nwant a health warning for dom.bl.test only: no IP is watched", s)
	}
}
