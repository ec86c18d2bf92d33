package store

import (
	"context"
	"database/sql"
	"errors"
)

// SinkMessageSession is the id of the sink session that brought the sink's
// message id (sink_messages.session_id), and false when no message has
// that id. The sink writes the session's own row only when the session
// ends, so the id may not name a recorded session yet.
func (s *Store) SinkMessageSession(ctx context.Context, id int64) (int64, bool, error) {
	var session int64
	err := s.r.QueryRowContext(ctx, `SELECT session_id FROM sink_messages WHERE id = ?`, id).Scan(&session)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return session, true, nil
}
