package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/web"
)

// changesZone is a domain with SPF, DMARC and a DKIM key, and a blocklist
// that passes its RFC 5782 5 test and lists nothing else.
const changesZone = `$TTL 60
$ORIGIN shop.test.
@        IN SOA ns.shop.test. hm.shop.test. 1 60 60 60 30
@        IN TXT "v=spf1 -all"
_dmarc   IN TXT "v=DMARC1; p=reject"
s1._domainkey IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
$ORIGIN zen.bl.test.
@         IN SOA ns.bl.test. hm.bl.test. 1 60 60 60 30
2.0.0.127 IN A 127.0.0.2
`

// TestProbeAdapterChanges: the web learns which run confirmed which
// change (an SPF record changed, a DKIM key rotated) from the history and
// the latest results, and every change of a target from Changes; a watched
// IP's clean blocklists are listed; a result names the checks it made, and
// the history's check filter keeps the runs that made that check.
func TestProbeAdapterChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := dnstest.New()
	if err := srv.Load(strings.NewReader(changesZone), "changes.zone"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 2, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	vc := clock.NewVirtual(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "p.db"), Clock: vc, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := probe.DefaultConfig()
	cfg.Domains = probe.Domains("shop.test")
	cfg.IPs = probe.IPs("127.100.200.250")
	cfg.Selectors = []string{"s1"}
	cfg.Zones = []probe.Zone{{Zone: "zen.bl.test", Kind: probe.ZoneIP}}
	// Nothing leaves the machine: no MTA-STS fetch dials anywhere.
	noDial := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no dialling in this test")
	}}}
	m, err := probe.NewMonitor(cfg, probe.Options{Store: st, Clock: vc, Resolver: r, HTTPClient: noDial, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	run := func() {
		t.Helper()
		if _, err := m.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		vc.Advance(time.Hour)
	}
	run() // the baseline
	srv.Remove("shop.test.", dns.TypeTXT)
	srv.Remove("s1._domainkey.shop.test.", dns.TypeTXT)
	if err := srv.AddString(`shop.test. 60 IN TXT "v=spf1 ip4:127.0.0.0/8 -all"`,
		`s1._domainkey.shop.test. 60 IN TXT "v=DKIM1; k=ed25519; p=NEWKEYqYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHU="`); err != nil {
		t.Fatal(err)
	}
	run() // seen once
	run() // seen twice: confirmed
	run() // nothing new

	a := probeAdapter{db: st.DB()}
	hist, err := a.History(ctx, web.ProbeFilter{Target: "shop.test"})
	if err != nil || len(hist) != 4 {
		t.Fatalf("history: %d results, %v; want 4", len(hist), err)
	}
	for i, want := range []bool{false, true, false, false} { // newest first
		if hist[i].Changed != want {
			t.Errorf("history[%d] (%s): changed %v, want %v; changes %+v", i, hist[i].Time, hist[i].Changed, want, hist[i].Changes)
		}
	}
	got := map[string]web.ProbeChange{}
	for _, c := range hist[1].Changes {
		got[c.Kind+" "+c.Key] = c
	}
	spf, ok := got["record-changed domain shop.test spf"]
	if !ok || spf.Old != "v=spf1 -all" || spf.New != "v=spf1 ip4:127.0.0.0/8 -all" {
		t.Errorf("the confirming run's changes %+v lack the SPF change v=spf1 -all -> v=spf1 ip4:127.0.0.0/8 -all", hist[1].Changes)
	}
	if dk, ok := got["key-rotated domain shop.test dkim s1"]; !ok || !strings.Contains(dk.New, "NEWKEY") {
		t.Errorf("the confirming run's changes %+v lack the DKIM key rotation of s1", hist[1].Changes)
	}
	if len(hist[1].Changes) != 2 {
		t.Errorf("the confirming run has %d changes, want 2: %+v", len(hist[1].Changes), hist[1].Changes)
	}

	latest, err := a.Results(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ip web.ProbeResult
	for _, r := range latest {
		if r.Changed {
			t.Errorf("the latest run of %s confirmed nothing, but reads changed: %+v", r.Target, r.Changes)
		}
		if r.Target == "127.100.200.250" {
			ip = r
		}
	}
	if ip.Check != "blocklist, ptr" {
		t.Errorf("the IP's check reads %q, want the checks it made, \"blocklist, ptr\"", ip.Check)
	}
	if len(ip.Blocklists) != 1 || ip.Blocklists[0].Zone != "zen.bl.test" || ip.Blocklists[0].Status != "not-listed" || ip.Blocklists[0].Subject != "127.100.200.250" {
		t.Errorf("the IP's blocklists %+v, want zen.bl.test not-listed", ip.Blocklists)
	}

	cs, err := a.Changes(ctx, web.ProbeFilter{Target: "shop.test", Limit: 10})
	if err != nil || len(cs) != 2 {
		t.Fatalf("changes: %+v, %v; want the 2 changes", cs, err)
	}
	if cs[0].Target != "shop.test" || cs[0].Time.IsZero() || cs[0].ID == 0 {
		t.Errorf("a change lacks its target, time or id: %+v", cs[0])
	}

	// The check filter: the IP's runs made no SPF check, the domain's did.
	if h, err := a.History(ctx, web.ProbeFilter{Target: "127.100.200.250", Check: "spf"}); err != nil || len(h) != 0 {
		t.Errorf("the IP's runs that checked spf: %d, %v; want none", len(h), err)
	}
	if h, err := a.History(ctx, web.ProbeFilter{Target: "shop.test", Check: "dkim", Limit: 2}); err != nil || len(h) != 2 {
		t.Errorf("the domain's runs that checked dkim, limit 2: %d, %v; want 2", len(h), err)
	}
	if _, err := a.History(ctx, web.ProbeFilter{Target: "shop.test", Check: "all"}); !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), "spf") {
		t.Errorf("check=all: %v, want an invalid-input error naming the checks", err)
	}
}

// TestProbeCheckNamesKnown: the checks the history's filter accepts are
// those probe.Report names in its summary, no more and no fewer.
func TestProbeCheckNamesKnown(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../../probe/report.go")
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	for _, m := range regexp.MustCompile(`add\("([a-z-]+)"`).FindAllStringSubmatch(string(src), -1) {
		named = append(named, m[1])
	}
	if len(named) < 5 {
		t.Fatalf("found %v in probe/report.go: its summary changed shape under this test", named)
	}
	a, b := slices.Sorted(slices.Values(named)), slices.Sorted(slices.Values(probeChecks))
	if !slices.Equal(a, b) {
		t.Errorf("probe/report.go names the checks %v, probeChecks %v", a, b)
	}
}
