package store

import (
	"context"
	"testing"
)

// TestSinkMessageSession: a sink message names the session that brought
// it, whatever the number of sessions since; an unknown id names none.
func TestSinkMessageSession(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := context.Background()
	err := s.Write(ctx, func(tx *Tx) error {
		for _, m := range [][2]int64{{7, 3}, {8, 5000}} {
			if _, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw)
				VALUES (?, ?, 'mx', 0, 'a@x.test', 'b@x.test', 1, 1, 250, x'41')`, m[0], m[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id, want int64
		found    bool
	}{{7, 3, true}, {8, 5000, true}, {9, 0, false}} {
		got, found, err := s.SinkMessageSession(ctx, tc.id)
		if err != nil || got != tc.want || found != tc.found {
			t.Errorf("message %d: session %d, %v, %v; want %d, %v", tc.id, got, found, err, tc.want, tc.found)
		}
	}
}
