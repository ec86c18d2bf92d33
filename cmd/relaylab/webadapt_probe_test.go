package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/web"
)

// TestProbeAdapterFindings: the web gets each stored result's findings,
// errors first, not only how many there were.
func TestProbeAdapterFindings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "p.db"), Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep := probe.Report{Schema: probe.SchemaVersion, Domain: "shop.test", Status: probe.Status("error"), Checks: []probe.CheckSummary{
		{Check: "mx", Findings: []probe.Finding{{Check: "mx", Severity: probe.SevInfo, Code: "mx.found", Message: "mx.shop.test takes mail"}}},
		{Check: "dmarc", Findings: []probe.Finding{{Check: "dmarc", Severity: probe.SevWarning, Code: "dmarc.p-none", Message: "p=none asks for nothing: publish p=quarantine", Name: "_dmarc.shop.test", RFC: "RFC 7489 6.3"}}},
		{Check: "spf", Findings: []probe.Finding{{Check: "spf", Severity: probe.SevError, Code: "spf.missing", Message: "no SPF record: publish `v=spf1 -all`", Name: "shop.test", RFC: "RFC 7208 4.5"}}},
	}}
	body, _ := json.Marshal(rep)
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO probe_results (time_ns, target, status, errors, warnings, report) VALUES (?, ?, ?, ?, ?, ?)`,
			time.Now().UnixNano(), "shop.test", "error", 1, 1, string(body))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	a := probeAdapter{db: st.DB()}
	latest, err := a.Results(ctx)
	if err != nil || len(latest) != 1 {
		t.Fatalf("results: %v, %v", latest, err)
	}
	hist, err := a.History(ctx, web.ProbeFilter{Target: "shop.test"})
	if err != nil || len(hist) != 1 {
		t.Fatalf("history: %v, %v", hist, err)
	}
	for name, r := range map[string]web.ProbeResult{"results": latest[0], "history": hist[0]} {
		var codes []string
		for _, f := range r.Findings {
			codes = append(codes, f.Severity+" "+f.Code)
		}
		if got, want := len(codes), 3; got != want || codes[0] != "error spf.missing" || codes[1] != "warning dmarc.p-none" || codes[2] != "info mx.found" {
			t.Fatalf("%s: findings %v, want error spf.missing, warning dmarc.p-none, info mx.found", name, codes)
		}
		if f := r.Findings[0]; f.Message != "no SPF record: publish `v=spf1 -all`" || f.Name != "shop.test" || f.RFC != "RFC 7208 4.5" || f.Check != "spf" {
			t.Errorf("%s: the error finding lost its words: %+v", name, f)
		}
	}
}

// TestProbeDetailPlural: a result's detail counts in words that agree
// with the number: "1 error, 1 warning", not "1 errors, 1 warnings".
func TestProbeDetailPlural(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		errors, warnings int
		want             string
	}{
		{1, 1, "1 error, 1 warning"},
		{0, 2, "0 errors, 2 warnings"},
		{3, 1, "3 errors, 1 warning"},
	} {
		got := probeDTOs([]probe.Result{{Target: "shop.test", Errors: tc.errors, Warnings: tc.warnings}})[0].Detail
		if got != tc.want {
			t.Errorf("%d errors, %d warnings: detail %q, want %q", tc.errors, tc.warnings, got, tc.want)
		}
	}
}
