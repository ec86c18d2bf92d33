package web

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/events"
)

// A sender that lost the sink's reply after the final dot (a dropped
// connection, a lost 250: the sink's drop-after-the-dot) delivers the
// message again, and the sink holds it twice. The Inbox and a message's
// page mark such copies: the sink's messages with one Message-ID from one
// envelope sender, in the order received.

// MessageCopy says that the sink holds more than one copy of a message:
// this one is copy N of Of with its Message-ID, from the same sender.
type MessageCopy struct {
	N         int    `json:"n"`
	Of        int    `json:"of"`
	MessageID string `json:"message_id"`
}

// copyKey is a message as a sender sends it again: its Message-ID and
// envelope sender (any case).
type copyKey struct{ msgID, from string }

// sinkCopies reads the ids of the sink's messages under each of msgIDs,
// by Message-ID and sender, oldest first. It goes through the sink.message
// events, whose message index holds the Message-ID (sink_messages has no
// index of it), joined to the messages the sink still holds: one query
// for a page, reading only the rows of those Message-IDs.
func sinkCopies(ctx context.Context, db *sql.DB, msgIDs []string) (map[copyKey][]int64, error) {
	out := map[copyKey][]int64{}
	if len(msgIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(msgIDs)+1)
	for _, id := range msgIDs {
		args = append(args, id)
	}
	args = append(args, events.SinkMessage)
	rows, err := db.QueryContext(ctx, `SELECT e.message, m.mail_from, m.id
		FROM events e JOIN sink_messages m ON m.id = e.payload ->> '$.id'
		WHERE e.message IN (?`+strings.Repeat(", ?", len(msgIDs)-1)+`) AND e.message != '' AND +e.kind = ? ORDER BY m.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k  copyKey
			id int64
		)
		if err := rows.Scan(&k.msgID, &k.from, &id); err != nil {
			return nil, err
		}
		k.from = strings.ToLower(k.from)
		if l := out[k]; len(l) == 0 || l[len(l)-1] != id { // one event per message
			out[k] = append(l, id)
		}
	}
	return out, rows.Err()
}

// copyOf is message id's place among its copies, nil when the sink holds
// it once.
func copyOf(copies map[copyKey][]int64, msgID, from string, id int64) *MessageCopy {
	if msgID == "" {
		return nil
	}
	l := copies[copyKey{msgID, strings.ToLower(from)}]
	i := slices.Index(l, id)
	if len(l) < 2 || i < 0 {
		return nil
	}
	return &MessageCopy{N: i + 1, Of: len(l), MessageID: textOf(msgID)}
}

// markCopies sets the Copy of each of ms, the inbox's page, whose
// Message-ID (msgIDs, by index) the sink holds more than once from its
// sender (froms, as stored).
func markCopies(ctx context.Context, db *sql.DB, ms []InboxMessage, msgIDs, froms []string) error {
	var want []string
	for _, id := range msgIDs {
		if id != "" && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	copies, err := sinkCopies(ctx, db, want)
	if err != nil {
		return err
	}
	for i := range ms {
		n, _ := strconv.ParseInt(ms[i].ID, 10, 64)
		ms[i].Copy = copyOf(copies, msgIDs[i], froms[i], n)
	}
	return nil
}
