package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
)

// hourlyConfig checks everything hourly and keeps results an hour, so that
// a run is past probe.keep two runs later.
func hourlyConfig() Config {
	cfg := DefaultConfig()
	cfg.Interval, cfg.BlocklistInterval, cfg.Keep = config.Duration(time.Hour), config.Duration(time.Hour), config.Duration(time.Hour)
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	return cfg
}

func countRows(t *testing.T, st *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRetentionFollowsProbeKeep: each cycle deletes the results and the
// probe.result events older than probe.keep (the events used to be kept
// for ever), but the newest result of a target no longer watched stays,
// as do the changes, which outlive probe.keep until a prune.
func TestRetentionFollowsProbeKeep(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/auth.zone", "../testdata/dns/blocklists.zone")
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	ctx := context.Background()
	run := func(cfg Config, times int) {
		t.Helper()
		cfg.BIMILogo = false // the logo's host would be looked up by http.Client's own resolver
		m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < times; i++ {
			if _, err := m.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			vc.Advance(time.Hour)
		}
	}
	both := hourlyConfig()
	both.Domains, both.IPs = Domains("clean.auth.test"), IPs("192.0.2.20")
	run(both, 1)
	// The IP gets listed: a change, confirmed at the second run.
	if err := srv.AddString("20.2.0.192.good.bl.test. 60 IN A 127.0.0.2"); err != nil {
		t.Fatal(err)
	}
	run(both, 2)
	if n := countRows(t, st, `SELECT COUNT(*) FROM probe_changes`); n != 1 {
		t.Fatalf("%d changes, want the listing", n)
	}
	// The IP is no longer watched.
	domain := hourlyConfig()
	domain.Domains = Domains("clean.auth.test")
	run(domain, 5)

	latest, err := LatestResults(ctx, st.DB())
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, l := range latest {
		targets = append(targets, l.Target)
	}
	if !slices.Equal(targets, []string{"192.0.2.20", "clean.auth.test"}) {
		t.Errorf("latest results of %q, want the IP no longer watched too", targets)
	}
	// Runs at 0h to 7h: the last cycle kept what is not older than 6h.
	cut := epoch.Add(6 * time.Hour).UnixNano()
	if n := countRows(t, st, `SELECT COUNT(*) FROM probe_results WHERE target = 'clean.auth.test' AND time_ns < ?`, cut); n != 0 {
		t.Errorf("%d results of the watched domain older than probe.keep, want 0", n)
	}
	if n := countRows(t, st, `SELECT COUNT(*) FROM events WHERE kind = 'probe.result' AND time_ns < ?`, cut); n != 0 {
		t.Errorf("%d probe.result events older than probe.keep, want 0", n)
	}
	if n := countRows(t, st, `SELECT COUNT(*) FROM events WHERE kind = 'probe.result'`); n != 2 {
		t.Errorf("%d probe.result events, want the last two runs'", n)
	}
	if n := countRows(t, st, `SELECT COUNT(*) FROM probe_changes`); n != 1 {
		t.Errorf("%d changes after probe.keep, want 1: they are kept until a prune", n)
	}
	if n := countRows(t, st, `SELECT COUNT(*) FROM events WHERE kind = 'probe.changed'`); n != 1 {
		t.Errorf("%d probe.changed events, want 1", n)
	}
}

// TestRetentionKeepsMTASTSPolicy: the policy a run fetched is what a
// restarted monitor compares the next one with; while the policy host
// fails for longer than probe.keep, the last run that fetched it stays,
// so that a policy changed under the same id is still caught.
func TestRetentionKeepsMTASTSPolicy(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	ps := newPolicyServer(t)
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := hourlyConfig()
	cfg.Domains = Domains("good.auth.test")
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
		var rep Report
		if err := json.Unmarshal(latestReport(t, st, "good.auth.test"), &rep); err != nil || rep.MTASTS == nil {
			t.Fatalf("report: %v", err)
		}
		return rep.MTASTS
	}
	ps.set("mta-sts.good.auth.test", goodPolicy)
	if first := runFresh(); first.Seen == nil {
		t.Fatalf("first run fetched no policy: %+v", first)
	}
	ps.set("mta-sts.good.auth.test", "") // 404 for three hours
	for i := 0; i < 3; i++ {
		if rep := runFresh(); rep.Seen != nil {
			t.Fatalf("the policy host was to fail: %+v", rep)
		}
	}
	if n := countRows(t, st, `SELECT COUNT(*) FROM probe_results WHERE time_ns = ?`, epoch.UnixNano()); n != 1 {
		t.Errorf("the run that fetched the policy was deleted three hours later, with probe.keep 1h and no newer policy")
	}
	ps.set("mta-sts.good.auth.test", strings.Replace(goodPolicy, "604800", "1209600", 1))
	if _, ok := codes(runFresh().Findings)["mta-sts.id-unchanged"]; !ok {
		t.Error("a policy changed under the same id went unnoticed once the last policy fetched was older than probe.keep")
	}
	// Now the last run holds a policy: the first is no longer needed.
	if n := countRows(t, st, `SELECT COUNT(*) FROM probe_results WHERE time_ns = ?`, epoch.UnixNano()); n != 0 {
		t.Errorf("the first run stays once a newer one fetched a policy")
	}
}

func latestReport(t *testing.T, st *store.Store, target string) []byte {
	t.Helper()
	var body string
	if err := st.DB().QueryRow(`SELECT report FROM probe_results WHERE target = ? ORDER BY id DESC LIMIT 1`, target).Scan(&body); err != nil {
		t.Fatal(err)
	}
	return []byte(body)
}

// TestKeptResults: of the results older than the cutoff, those kept are
// the newest of a target, the newest that made each check and the newest
// with an MTA-STS policy.
func TestKeptResults(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	now := vc.Now()
	rep := func(seen bool, checks ...string) string {
		var cs []string
		for _, c := range checks {
			cs = append(cs, fmt.Sprintf(`{"check":%q,"status":"ok","findings":[]}`, c))
		}
		s := `{"checks":[` + strings.Join(cs, ",") + `]`
		if seen {
			s += `,"mta_sts":{"seen":{"id":"1","hash":"ab"}}`
		}
		return s + "}"
	}
	for i, row := range []struct {
		target string
		ago    time.Duration
		report string
	}{
		{"d.test", 5 * time.Hour, rep(true, "spf", "dkim", "mta-sts")}, // 1 kept: its policy, dkim
		{"d.test", 4 * time.Hour, rep(false, "blocklist")},             // 2 goes
		{"d.test", 3 * time.Hour, rep(false, "spf", "mta-sts")},        // 3 kept: spf, mta-sts
		{"d.test", 2 * time.Hour, rep(false, "blocklist")},             // 4 goes
		{"d.test", 0, rep(false, "blocklist")},                         // 5 new
		{"ip.test", 3 * time.Hour, rep(false, "ptr")},                  // 6 kept: ptr
		{"ip.test", 2 * time.Hour, `not json`},                         // 7 kept: the newest
		{"new.test", 2 * time.Hour, rep(true, "spf")},                  // 8 goes: 9 has all
		{"new.test", 0, rep(true, "spf")},                              // 9 new
	} {
		err := st.Write(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Exec(`INSERT INTO probe_results (id, time_ns, target, status, report) VALUES (?, ?, ?, 'ok', ?)`,
				i+1, now.Add(-row.ago).UnixNano(), row.target, row.report)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	keep, err := keptResults(context.Background(), st.DB(), now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keep)
	if want := []int64{1, 3, 6, 7}; !slices.Equal(keep, want) {
		t.Errorf("kept %v, want %v", keep, want)
	}
}
