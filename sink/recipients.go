package sink

import (
	"context"
	"database/sql"
	"fmt"
)

// Recipients lists every recipient the sink saw an attempt for, in order of
// first attempt; with Attempts it gives the whole record per recipient.
func Recipients(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT recipient FROM sink_attempts GROUP BY recipient ORDER BY MIN(id)`)
	if err != nil {
		return nil, fmt.Errorf("sink: listing recipients: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
