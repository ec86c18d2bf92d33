package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/web"
)

// probeAdapter gives the web the probe results in the store.
type probeAdapter struct{ db *sql.DB }

var _ web.ProbeChangesAPI = probeAdapter{}

func (a probeAdapter) Results(ctx context.Context) ([]web.ProbeResult, error) {
	rs, err := probe.LatestResults(ctx, a.db)
	if err != nil {
		return nil, err
	}
	out := probeDTOs(rs)
	// The latest run of a target made its newest changes, if it made any.
	for i := range out {
		cs, err := probe.ChangeHistory(ctx, a.db, out[i].Target, changesPerRun)
		if err != nil {
			return nil, err
		}
		attachChanges(out[i:i+1], cs)
	}
	return out, nil
}

// changesPerRun bounds the changes read for one run: one per fact a run
// observes (a record, a DKIM selector, a blocklist), far fewer in practice.
const changesPerRun = 500

// probeChecks are the checks a probe run can make, as its report names
// them (probe.Report.Checks); TestProbeCheckNamesKnown keeps them in step.
var probeChecks = []string{"blocklist", "spf", "dkim", "dmarc", "mx", "ptr", "mta-sts", "mx-tls", "tls-rpt", "bimi", "dnssec"}

func (a probeAdapter) History(ctx context.Context, f web.ProbeFilter) ([]web.ProbeResult, error) {
	if f.Target == "" {
		return nil, fmt.Errorf("%w: name a target (?target=example.com)", web.ErrInvalid)
	}
	if f.Check != "" && !slices.Contains(probeChecks, f.Check) {
		return nil, fmt.Errorf("%w: check %q: a probe run makes the checks %s", web.ErrInvalid, f.Check, strings.Join(probeChecks, ", "))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	// With a check named, read more runs until limit of them made it, or
	// there are no more (a domain's records and its blocklists may run
	// on different intervals).
	var out []web.ProbeResult
	for n := f.Limit; ; n *= 4 {
		rs, err := probe.ResultHistory(ctx, a.db, f.Target, n)
		if err != nil {
			return nil, err
		}
		out = out[:0]
		for _, r := range probeDTOs(rs) {
			if f.Check == "" || slices.Contains(strings.Split(r.Check, ", "), f.Check) {
				out = append(out, r)
			}
		}
		if len(out) >= f.Limit || len(rs) < n || n >= 10000 {
			break
		}
	}
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	if len(out) == 0 {
		return out, nil
	}
	// The changes of a run are stored with its time: read those back to
	// the oldest run shown.
	oldest := out[len(out)-1].Time
	for n := changesPerRun; ; n *= 4 {
		cs, err := probe.ChangeHistory(ctx, a.db, f.Target, n)
		if err != nil {
			return nil, err
		}
		if len(cs) < n || cs[len(cs)-1].Time.Before(oldest) || n >= 100000 {
			attachChanges(out, cs)
			break
		}
	}
	return out, nil
}

// Changes serves /api/v1/probe/changes.
func (a probeAdapter) Changes(ctx context.Context, f web.ProbeFilter) ([]web.ProbeChange, error) {
	cs, err := probe.ChangeHistory(ctx, a.db, f.Target, f.Limit)
	if err != nil {
		return nil, err
	}
	out := make([]web.ProbeChange, 0, len(cs))
	for _, c := range cs {
		out = append(out, probeChangeDTO(c))
	}
	return out, nil
}

func probeChangeDTO(c probe.Change) web.ProbeChange {
	return web.ProbeChange{ID: c.ID, Time: c.Time, Target: c.Target, Kind: c.Kind, Key: c.Key, Old: c.Old, New: c.New, First: c.First,
		Meaning: c.Meaning, Reason: c.Reason, DelistURL: c.DelistURL, InheritedFrom: c.InheritedFrom, Note: c.Note}
}

// attachChanges gives each result the changes its run confirmed: a run
// stores its result and its changes in one transaction, at one time.
func attachChanges(rs []web.ProbeResult, cs []probe.Change) {
	for i := range rs {
		for _, c := range cs {
			if c.Target == rs[i].Target && c.Time.Equal(rs[i].Time) {
				rs[i].Changes = append(rs[i].Changes, probeChangeDTO(c))
			}
		}
		// Oldest first, the order in which the run confirmed them.
		slices.Reverse(rs[i].Changes)
		rs[i].Changed = len(rs[i].Changes) > 0
	}
}

func probeDTOs(rs []probe.Result) []web.ProbeResult {
	out := make([]web.ProbeResult, 0, len(rs))
	for _, r := range rs {
		rep := storedReport(r.Report)
		var checks []string
		for _, c := range rep.Checks {
			checks = append(checks, c.Check)
		}
		out = append(out, web.ProbeResult{
			Target: r.Target, Check: strings.Join(checks, ", "), Status: string(r.Status), Time: r.Time,
			Detail:     counted(r.Errors, "error", "errors") + ", " + counted(r.Warnings, "warning", "warnings"),
			Findings:   probeFindings(rep),
			Blocklists: probeListings(rep),
		})
	}
	return out
}

// reportParts are the parts of a stored report (SCHEMA.md) the web shows.
type reportParts struct {
	Checks   []probe.CheckSummary `json:"checks"`
	Listings []probe.Listing      `json:"listings"`
}

// storedReport reads a stored report; one that does not parse shows as
// a run with no checks, as before.
func storedReport(report []byte) reportParts {
	var rep reportParts
	if json.Unmarshal(report, &rep) != nil {
		return reportParts{}
	}
	return rep
}

// probeListings are the blocklist answers of a run, the clean ones too:
// only a listing or an unknown answer is a finding, and without these a
// run that found an IP on no list said nothing of the lists it asked.
func probeListings(rep reportParts) []web.ProbeListing {
	var out []web.ProbeListing
	for _, l := range rep.Listings {
		detail := l.Error
		if l.Status == probe.Listed {
			detail = strings.Join(l.Meaning, "; ")
		}
		out = append(out, web.ProbeListing{Zone: l.Zone, Subject: l.Subject, Status: string(l.Status), Detail: detail})
	}
	return out
}

// probeFindings are the findings of a stored report, errors first, then
// warnings, then facts, each group in the report's order: the counts
// alone say that something is wrong, the findings say what and what to do.
func probeFindings(rep reportParts) []web.ProbeFinding {
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
