package store

import (
	"context"
	"database/sql"
	"strings"
)

// QueryPlan returns SQLite's plan for q with args, one step per line
// ("SEARCH events USING COVERING INDEX events_message (message=? AND
// id>?)"), so that tests can check that a query uses the index it was
// written for.
func QueryPlan(ctx context.Context, db *sql.DB, q string, args ...any) (string, error) {
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "\n"), rows.Err()
}
