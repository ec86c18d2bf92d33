package probe

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/netip"
	"strings"
	"time"
)

// Result is one stored probe run of one target.
type Result struct {
	ID       int64           `json:"id"`
	Time     time.Time       `json:"time"`
	Target   string          `json:"target"`
	Status   Status          `json:"status"`
	Errors   int             `json:"errors"`
	Warnings int             `json:"warnings"`
	Report   json.RawMessage `json:"report"` // a Report (SCHEMA.md)
}

const resultCols = `id, time_ns, target, status, errors, warnings, report`

func scanResults(rows *sql.Rows, err error) ([]Result, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Result
	for rows.Next() {
		var r Result
		var ns int64
		var rep string
		if err := rows.Scan(&r.ID, &ns, &r.Target, &r.Status, &r.Errors, &r.Warnings, &rep); err != nil {
			return nil, err
		}
		r.Time, r.Report = time.Unix(0, ns).UTC(), json.RawMessage(rep)
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestResults returns the newest result of every target, by target. db
// is the store's read pool (store.DB()).
func LatestResults(ctx context.Context, db *sql.DB) ([]Result, error) {
	return scanResults(db.QueryContext(ctx, `SELECT `+resultCols+` FROM probe_results
		WHERE id IN (SELECT MAX(id) FROM probe_results GROUP BY target) ORDER BY target`))
}

// ResultHistory returns the results of target, newest first; limit <= 0
// means 100. target is a domain in any case, with or without a final
// dot, or an IP address in any form (NormalizeTarget).
func ResultHistory(ctx context.Context, db *sql.DB, target string, limit int) ([]Result, error) {
	if limit <= 0 {
		limit = 100
	}
	target = NormalizeTarget(target)
	return scanResults(db.QueryContext(ctx, `SELECT `+resultCols+` FROM probe_results WHERE target = ? ORDER BY id DESC LIMIT ?`, target, limit))
}

// ChangeHistory returns the changes of target (every target when ""),
// newest first; limit <= 0 means 100. target is read as ResultHistory
// reads it.
func ChangeHistory(ctx context.Context, db *sql.DB, target string, limit int) ([]Change, error) {
	if limit <= 0 {
		limit = 100
	}
	target = NormalizeTarget(target)
	return scanChanges(db.QueryContext(ctx, `SELECT `+changeCols+` FROM `+changeFrom+`
		WHERE ? = '' OR c.target = ? ORDER BY c.id DESC LIMIT ?`, target, target, limit))
}

// NormalizeTarget writes a target as the monitor stores it: an IP address
// in its canonical form (an IPv4-mapped IPv6 address as IPv4), a domain in
// lower case without a final dot, since domain names are not
// case-sensitive (RFC 4343).
func NormalizeTarget(s string) string {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return strings.TrimSuffix(strings.ToLower(s), ".")
}

// changeCols and changeFrom read a change: its row in probe_changes, and
// the details that only its probe.changed event holds (Change.Meaning and
// the rest), when the event is still there (probe.keep prunes it once
// the change is posted).
const (
	changeCols = `c.id, c.time_ns, c.target, c.key, c.kind, c.old, c.new, COALESCE(e.payload, '')`
	changeFrom = `probe_changes c LEFT JOIN events e ON e.id = c.event_id AND e.kind = 'probe.changed'`
)

func scanChanges(rows *sql.Rows, err error) ([]Change, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var ns int64
		var payload string
		if err := rows.Scan(&c.ID, &ns, &c.Target, &c.Key, &c.Kind, &c.Old, &c.New, &payload); err != nil {
			return nil, err
		}
		c.Time = time.Unix(0, ns).UTC()
		var ev Change
		if payload != "" && json.Unmarshal([]byte(payload), &ev) == nil && ev.ID == c.ID {
			c.Meaning, c.Reason, c.DelistURL, c.InheritedFrom, c.Note = ev.Meaning, ev.Reason, ev.DelistURL, ev.InheritedFrom, ev.Note
			c.Check, c.Status = ev.Check, ev.Status
		}
		// Only a listing at a target's first checks has no old value.
		c.First = c.Kind == ChangeListed && c.Old == ""
		out = append(out, c)
	}
	return out, rows.Err()
}

// seenMark is in a stored report that holds the MTA-STS policy a run
// fetched (MTASTSReport.Seen), as restoreSeen looks for it.
const seenMark = `"seen":{`

// keptResults are the ids of the results older than before that the
// probe still reads, which probe.keep does not delete. Of each target:
//   - the newest result: its current state (LatestResults), also of a
//     target no longer watched;
//   - the newest result that made each check: a domain's records and its
//     blocklists run on different intervals, and a check no longer made
//     keeps its last answer;
//   - the newest result with an MTA-STS policy, which restoreSeen reads
//     back at start to catch a policy changed under the same id.
//
// A target's results are read newest first only until none older than
// before could add anything: a few reports a target and cycle.
func keptResults(ctx context.Context, db *sql.DB, before time.Time) ([]int64, error) {
	cut := before.UnixNano()
	// What the old results of each target hold, which newer ones must
	// hold too for them to go.
	type needs struct {
		checks map[string]bool
		seen   bool
	}
	old := map[string]*needs{}
	var targets []string
	rows, err := db.QueryContext(ctx, `SELECT target, report FROM probe_results WHERE time_ns < ? ORDER BY target`, cut)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var target, report string
		if err := rows.Scan(&target, &report); err != nil {
			rows.Close()
			return nil, err
		}
		n := old[target]
		if n == nil {
			n = &needs{checks: map[string]bool{}}
			old[target] = n
			targets = append(targets, target)
		}
		checks, seen := resultFacts(report)
		for _, c := range checks {
			n.checks[c] = true
		}
		n.seen = n.seen || seen
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keep := []int64{}
	for _, target := range targets {
		n := old[target]
		ids, err := keptOf(ctx, db, target, cut, func(covered map[string]bool, seen bool) bool {
			for c := range n.checks {
				if !covered[c] {
					return false
				}
			}
			return seen || !n.seen
		})
		if err != nil {
			return nil, err
		}
		keep = append(keep, ids...)
	}
	return keep, nil
}

// keptOf walks the results of target newest first and returns those older
// than cut that are the newest of the target, of a check or with an
// MTA-STS policy; it stops once covered says no older one can be.
func keptOf(ctx context.Context, db *sql.DB, target string, cut int64, covers func(checks map[string]bool, seen bool) bool) ([]int64, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, time_ns, report FROM probe_results WHERE target = ? ORDER BY id DESC`, target)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keep []int64
	covered, seen := map[string]bool{}, false
	for first := true; rows.Next(); first = false {
		var id, ns int64
		var report string
		if err := rows.Scan(&id, &ns, &report); err != nil {
			return nil, err
		}
		checks, hasSeen := resultFacts(report)
		adds := first || hasSeen && !seen
		for _, c := range checks {
			if !covered[c] {
				covered[c], adds = true, true
			}
		}
		seen = seen || hasSeen
		if adds && ns < cut {
			keep = append(keep, id)
		}
		if covers(covered, seen) {
			break
		}
	}
	return keep, rows.Err()
}

// resultFacts are the checks a stored report made and whether it holds an
// MTA-STS policy; a report that does not parse made no check.
func resultFacts(report string) (checks []string, seen bool) {
	var rep struct {
		Checks []struct {
			Check string `json:"check"`
		} `json:"checks"`
	}
	json.Unmarshal([]byte(report), &rep)
	for _, c := range rep.Checks {
		checks = append(checks, c.Check)
	}
	return checks, strings.Contains(report, seenMark)
}
