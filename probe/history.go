package probe

import (
	"context"
	"database/sql"
	"encoding/json"
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
// means 100.
func ResultHistory(ctx context.Context, db *sql.DB, target string, limit int) ([]Result, error) {
	if limit <= 0 {
		limit = 100
	}
	return scanResults(db.QueryContext(ctx, `SELECT `+resultCols+` FROM probe_results WHERE target = ? ORDER BY id DESC LIMIT ?`, target, limit))
}

// ChangeHistory returns the changes of target (every target when ""),
// newest first; limit <= 0 means 100.
func ChangeHistory(ctx context.Context, db *sql.DB, target string, limit int) ([]Change, error) {
	if limit <= 0 {
		limit = 100
	}
	return scanChanges(db.QueryContext(ctx, `SELECT `+changeCols+` FROM probe_changes
		WHERE ? = '' OR target = ? ORDER BY id DESC LIMIT ?`, target, target, limit))
}

const changeCols = `id, time_ns, target, key, kind, old, new`

func scanChanges(rows *sql.Rows, err error) ([]Change, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var ns int64
		if err := rows.Scan(&c.ID, &ns, &c.Target, &c.Key, &c.Kind, &c.Old, &c.New); err != nil {
			return nil, err
		}
		c.Time = time.Unix(0, ns).UTC()
		// Only a listing at a target's first checks has no old value.
		c.First = c.Kind == ChangeListed && c.Old == ""
		out = append(out, c)
	}
	return out, rows.Err()
}
