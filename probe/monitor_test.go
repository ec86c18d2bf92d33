package probe

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

var epoch = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func openStore(t *testing.T, c clock.Clock) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "probe.db"), Clock: c, Sync: store.SyncOff, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestMonitorConfirmsChangesOverTwoRuns(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/auth.zone", "../testdata/dns/blocklists.zone")
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.Domains = Domains("clean.auth.test")
	cfg.IPs = IPs("192.0.2.20")
	cfg.Selectors = []string{"s1"}
	cfg.BIMILogo = false // its logo's host would be looked up by http.Client's own resolver
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := func(step string) []Change {
		t.Helper()
		ch, err := m.RunOnce(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		vc.Advance(time.Hour)
		return ch
	}
	if ch := run("baseline"); len(ch) != 0 {
		t.Fatalf("baseline produced changes %+v", ch)
	}
	// The IP gets listed and the SPF record and DKIM key change.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(srv.AddString("20.2.0.192.good.bl.test. 60 IN A 127.0.0.2"))
	srv.Remove("clean.auth.test.", dns.TypeTXT)
	must(srv.AddString(`clean.auth.test. 60 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"`))
	srv.Remove("s1._domainkey.clean.auth.test.", dns.TypeTXT)
	must(srv.AddString(`s1._domainkey.clean.auth.test. 60 IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="`))
	if ch := run("first sight"); len(ch) != 0 {
		t.Fatalf("a change seen once was reported: %+v", ch)
	}
	// A temporary failure is neither a change nor a reset.
	srv.Set("20.2.0.192.good.bl.test.", "servfail")
	srv.Set("clean.auth.test.", "servfail")
	if ch := run("failure"); len(ch) != 0 {
		t.Fatalf("a temporary error produced changes: %+v", ch)
	}
	srv.Set("20.2.0.192.good.bl.test.", "")
	srv.Set("clean.auth.test.", "")
	ch := run("second sight")
	kinds := map[string]Change{}
	for _, c := range ch {
		kinds[c.Kind] = c
	}
	if len(ch) != 3 || kinds[ChangeListed].Target != "192.0.2.20" || kinds[ChangeRecordChanged].Key != "domain clean.auth.test spf" ||
		kinds[ChangeKeyRotated].Key != "domain clean.auth.test dkim s1" {
		t.Fatalf("changes = %+v, want listed, record-changed (spf) and key-rotated (s1)", ch)
	}
	if c := kinds[ChangeRecordChanged]; !strings.Contains(c.Old, "192.0.2.50") || !strings.Contains(c.New, "192.0.2.0/24") {
		t.Errorf("record change old %q new %q", c.Old, c.New)
	}
	if ch := run("stable"); len(ch) != 0 {
		t.Fatalf("a confirmed state was reported again: %+v", ch)
	}
	// Delisting takes two runs too.
	srv.Remove("20.2.0.192.good.bl.test.", dns.TypeANY)
	if ch := run("delisted once"); len(ch) != 0 {
		t.Fatalf("delisting seen once reported: %+v", ch)
	}
	// A selector asked for loses its key: a record removed, after two runs.
	srv.Remove("s1._domainkey.clean.auth.test.", dns.TypeTXT)
	if ch := run("delisted twice"); len(ch) != 1 || ch[0].Kind != ChangeDelisted {
		t.Fatalf("changes = %+v, want one delisting", ch)
	}
	if ch := run("key gone twice"); len(ch) != 1 || ch[0].Kind != ChangeRecordRemoved || ch[0].New != "" || ch[0].Key != "domain clean.auth.test dkim s1" {
		t.Fatalf("changes = %+v, want the s1 key removed", ch)
	}

	// History and events.
	latest, err := LatestResults(ctx, st.DB())
	if err != nil || len(latest) != 2 || latest[0].Target != "192.0.2.20" || latest[1].Target != "clean.auth.test" {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	var rep Report
	if err := json.Unmarshal(latest[1].Report, &rep); err != nil || rep.Schema != SchemaVersion {
		t.Errorf("stored report does not decode: %v", err)
	}
	hist, err := ResultHistory(ctx, st.DB(), "clean.auth.test", 0)
	if err != nil || len(hist) != 8 || !hist[0].Time.After(hist[7].Time) {
		t.Errorf("history: %d results, %v", len(hist), err)
	}
	changes, err := ChangeHistory(ctx, st.DB(), "", 0)
	if err != nil || len(changes) != 5 || changes[0].Kind != ChangeRecordRemoved {
		t.Errorf("change history = %+v, %v", changes, err)
	}
	evs, err := st.Events(ctx, events.Filter{Kinds: []string{events.ProbeChanged}})
	if err != nil || len(evs) != 5 || evs[0].Target == "" {
		t.Errorf("probe.changed events = %d, %v", len(evs), err)
	}
}

func TestWebhookRetriesOnTheClock(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	fails := 2
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, string(b))
		if fails > 0 {
			fails--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ts.Close()
	vc := clock.NewVirtual(epoch)
	cfg := DefaultConfig().Webhook
	cfg.URL = ts.URL
	w := newWebhook(cfg, ts.Client(), nil, vc, discard())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		w.deliver(ctx, Change{Target: "192.0.2.1", Kind: ChangeListed, Key: "listing 192.0.2.1 zen"})
		close(done)
	}()
	var waits []time.Duration
	for {
		ch := vc.Changed()
		if vc.Pending() > 0 {
			before := vc.Now()
			vc.AdvanceToNext()
			waits = append(waits, vc.Now().Sub(before))
			continue
		}
		select {
		case <-done:
		case <-ch:
			continue
		}
		break
	}
	if len(bodies) != 3 {
		t.Fatalf("%d POSTs, want 3 (two 503s, then success)", len(bodies))
	}
	if len(waits) != 2 || waits[0] != 30*time.Second || waits[1] != time.Minute {
		t.Errorf("backoff waits = %v, want [30s 1m0s]", waits)
	}
	var p WebhookPayload
	if err := json.Unmarshal([]byte(bodies[2]), &p); err != nil || p.Event != "probe.changed" || p.Change.Kind != ChangeListed {
		t.Errorf("payload %s: %v", bodies[2], err)
	}
}

func TestWebhookGivesUpOnClientError(t *testing.T) {
	t.Parallel()
	n := 0
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		http.Error(w, "no such hook", http.StatusNotFound)
	}))
	defer ts.Close()
	cfg := DefaultConfig().Webhook
	cfg.URL = ts.URL
	w := newWebhook(cfg, ts.Client(), nil, clock.NewVirtual(epoch), discard())
	w.deliver(context.Background(), Change{Kind: ChangeListed})
	if n != 1 {
		t.Errorf("%d POSTs after a 404, want 1", n)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml string
		key  string // "" valid
	}{
		{"domains: [example.com]\nips: [192.0.2.1, '2001:db8::1']\nselectors: [s1]\ninterval: 2h\nwebhook: {url: 'https://hooks.example/x'}\n", ""},
		{"domains: ['not a domain']\n", "probe.domains[0]"},
		{"ips: [192.0.2.300]\n", "probe.ips[0]"},
		{"interval: 10s\n", "probe.interval"},
		{"blocklist_interval: 5s\n", "probe.blocklist_interval"},
		{"resolvers: [nonsense]\n", "probe.resolvers[0]"},
		{"webhook: {url: 'ftp://x'}\n", "probe.webhook.url"},
		{"webhook: {attempts: 0}\n", "probe.webhook.attempts"},
		{"zones: [{zone: bl.example, kind: rhs}]\n", "probe.zones[0].kind"},
		{"zones: [{zone: bl.example, errors: [nope]}]\n", "probe.zones[0].errors[0]"},
	}
	for _, tt := range tests {
		// Decode runs Validate with an empty prefix and adds the line.
		cfg := DefaultConfig()
		if err := config.Decode("probe.yaml", []byte(tt.yaml), &cfg); tt.key != "" && (err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tt.key, "probe.")+":")) {
			t.Errorf("%q: Decode = %v, want an error at %s", tt.yaml, err, tt.key)
		}
		cfg = DefaultConfig()
		config.Decode("probe.yaml", []byte(tt.yaml), &cfg) //nolint:errcheck // checked above
		err := cfg.Validate("probe")
		if tt.key == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.yaml, err)
			}
			continue
		}
		fe, ok := err.(*config.FieldError)
		if !ok || fe.Key != tt.key {
			t.Errorf("%q: err = %v, want one at %s", tt.yaml, err, tt.key)
		}
	}
	if err := config.Decode("probe.yaml", []byte("domain: [x.example]\n"), new(Config)); err == nil {
		t.Error("an unknown key was accepted")
	}
}

func TestMonitorRunLoop(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone", "../testdata/dns/blocklists.zone")
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.Domains = Domains("clean.auth.test")
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	cfg.Keep = config.Duration(time.Hour)
	cfg.BIMILogo = false // its logo's host would be looked up by http.Client's own resolver
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	// Each cycle ends with the loop asleep on the clock: wait for that
	// sleeper, then jump to it. Four jumps: 30m (blocklists), 1h (both),
	// 1h30 (blocklists), 2h (both): five cycles in all.
	for i := 0; i < 4; i++ {
		for vc.Pending() == 0 {
			<-vc.Changed()
		}
		vc.AdvanceToNext()
	}
	for vc.Pending() == 0 {
		<-vc.Changed()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	hist, err := ResultHistory(context.Background(), st.DB(), "clean.auth.test", 0)
	// Five cycles ran; results older than an hour (keep: 1h) were pruned.
	if err != nil || len(hist) != 3 {
		t.Fatalf("%d results after 2h of virtual time, want 3 (+1h, +1h30, +2h): %v", len(hist), err)
	}
	if got := hist[0].Time.Sub(epoch); got != 2*time.Hour {
		t.Errorf("last cycle at +%v, want +2h", got)
	}
}

func TestEmptyWatchlistIsIdle(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/blocklists.zone")
	vc := clock.NewVirtual(epoch)
	m, err := NewMonitor(DefaultConfig(), Options{Store: openStore(t, vc), Clock: vc, Resolver: r})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if q := srv.Queries(); q != 0 {
		t.Errorf("an empty watchlist sent %d queries", q)
	}
}

// TestMTASTSMemorySurvivesRestart: a policy that changed while its id did
// not is an error even when the monitor restarted between the two runs.
func TestMTASTSMemorySurvivesRestart(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	ps := newPolicyServer(t)
	ps.set("mta-sts.good.auth.test", goodPolicy)
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.Domains = Domains("good.auth.test")
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	ctx := context.Background()
	runFresh := func() *MTASTSReport {
		t.Helper()
		m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: ps.client()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		vc.Advance(time.Hour)
		var body string
		if err := st.DB().QueryRow(`SELECT report FROM probe_results WHERE target = ? ORDER BY id DESC LIMIT 1`, "good.auth.test").Scan(&body); err != nil {
			t.Fatal(err)
		}
		var rep Report
		if err := json.Unmarshal([]byte(body), &rep); err != nil || rep.MTASTS == nil {
			t.Fatalf("report %s: %v", body, err)
		}
		return rep.MTASTS
	}
	if first := runFresh(); first.Status != StatusOK || first.Seen == nil {
		t.Fatalf("first run: %+v", first)
	}
	ps.set("mta-sts.good.auth.test", strings.Replace(goodPolicy, "604800", "1209600", 1))
	second := runFresh()
	if _, ok := codes(second.Findings)["mta-sts.id-unchanged"]; !ok {
		t.Errorf("after a restart, a changed policy under the same id went unnoticed: %+v", second.Findings)
	}
}
