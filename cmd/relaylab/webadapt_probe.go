package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/web"
)

// probeAdapter gives the web the probe results in the store.
type probeAdapter struct{ db *sql.DB }

func (a probeAdapter) Results(ctx context.Context) ([]web.ProbeResult, error) {
	rs, err := probe.LatestResults(ctx, a.db)
	if err != nil {
		return nil, err
	}
	return probeDTOs(rs), nil
}

func (a probeAdapter) History(ctx context.Context, f web.ProbeFilter) ([]web.ProbeResult, error) {
	if f.Target == "" {
		return nil, fmt.Errorf("%w: name a target (?target=example.com)", web.ErrInvalid)
	}
	rs, err := probe.ResultHistory(ctx, a.db, f.Target, f.Limit)
	if err != nil {
		return nil, err
	}
	return probeDTOs(rs), nil
}

func probeDTOs(rs []probe.Result) []web.ProbeResult {
	out := make([]web.ProbeResult, 0, len(rs))
	for _, r := range rs {
		out = append(out, web.ProbeResult{
			Target: r.Target, Check: "all", Status: string(r.Status), Time: r.Time,
			Detail:   counted(r.Errors, "error", "errors") + ", " + counted(r.Warnings, "warning", "warnings"),
			Findings: probeFindings(r.Report),
		})
	}
	return out
}

// probeFindings are the findings of a stored report, errors first, then
// warnings, then facts, each group in the report's order: the counts
// alone say that something is wrong, the findings say what and what to do.
func probeFindings(report []byte) []web.ProbeFinding {
	var rep struct {
		Checks []probe.CheckSummary `json:"checks"`
	}
	if json.Unmarshal(report, &rep) != nil {
		return nil
	}
	var out []web.ProbeFinding
	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			out = append(out, web.ProbeFinding{Check: f.Check, Severity: string(f.Severity), Code: f.Code,
				Message: f.Message, Name: f.Name, Record: f.Record, RFC: f.RFC})
		}
	}
	rank := map[string]int{string(probe.SevError): 0, string(probe.SevWarning): 1}
	sevRank := func(s string) int {
		if r, ok := rank[s]; ok {
			return r
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool { return sevRank(out[i].Severity) < sevRank(out[j].Severity) })
	return out
}

// counted is n with its noun, one or many: "1 error", "2 errors".
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
