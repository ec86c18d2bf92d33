package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/events"
)

// A sender that lost the sink's reply after the final dot (a dropped
// connection, a lost 250: the sink's drop-after-the-dot) delivers the
// message again, and the sink holds it twice. The Inbox and a message's
// page mark such copies: the sink's messages with one Message-ID from one
// envelope sender, in the order received, whose recipients overlap. Two
// copies with no recipient in common are not a delivery again: a relay
// fans a message to two domains out in two sessions, one a domain, and a
// test that sends one .eml fixture to several addresses reuses its
// Message-ID. A retry that carries some of the first copy's recipients
// (the others were refused, or taken, meanwhile) is one.

// MessageCopy says that the sink holds more than one copy of a message:
// this one is copy N of Of with its Message-ID, from the same sender, to
// recipients that overlap.
type MessageCopy struct {
	N         int    `json:"n"`
	Of        int    `json:"of"`
	MessageID string `json:"message_id"`
	// Again is set when the copies' recipients differ: the recipients of
	// this copy that an earlier copy had too (the first copy: that a
	// later copy has), as this copy spells them. When every copy has the
	// same recipients it is absent: all of them are.
	Again addressList `json:"again,omitempty"`
}

// addressList is addresses, in JSON an array of strings. It is held as
// one string, each address on a line of its own, so that a MessageCopy
// stays a value that == compares.
type addressList string

func (l addressList) MarshalJSON() ([]byte, error) {
	if l == "" {
		return []byte("[]"), nil
	}
	return json.Marshal(strings.Split(string(l), "\n"))
}

func (l *addressList) UnmarshalJSON(b []byte) error {
	var as []string
	if err := json.Unmarshal(b, &as); err != nil {
		return err
	}
	*l = addressList(strings.Join(as, "\n"))
	return nil
}

// copyKey is a message as a sender sends it again: its Message-ID and
// envelope sender (any case).
type copyKey struct{ msgID, from string }

// copyRow is one of the sink's messages under a copyKey: its id and its
// recipients as stored.
type copyRow struct {
	id    int64
	rcpts []string
}

// sinkCopies reads the ids and recipients of the sink's messages under
// each of msgIDs, by Message-ID and sender, oldest first. It goes through
// the sink.message events, whose message index holds the Message-ID
// (sink_messages has no index of it), joined to the messages the sink
// still holds: one query for a page, reading only the rows of those
// Message-IDs.
func sinkCopies(ctx context.Context, db *sql.DB, msgIDs []string) (map[copyKey][]copyRow, error) {
	out := map[copyKey][]copyRow{}
	if len(msgIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(msgIDs)+1)
	for _, id := range msgIDs {
		args = append(args, id)
	}
	args = append(args, events.SinkMessage)
	rows, err := db.QueryContext(ctx, `SELECT e.message, m.mail_from, m.id, m.rcpts
		FROM events e JOIN sink_messages m ON m.id = e.payload ->> '$.id'
		WHERE e.message IN (?`+strings.Repeat(", ?", len(msgIDs)-1)+`) AND e.message != '' AND +e.kind = ? ORDER BY m.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k     copyKey
			r     copyRow
			rcpts string
		)
		if err := rows.Scan(&k.msgID, &k.from, &r.id, &rcpts); err != nil {
			return nil, err
		}
		k.from = strings.ToLower(k.from)
		if rcpts != "" {
			r.rcpts = strings.Split(rcpts, "\n")
		}
		if l := out[k]; len(l) == 0 || l[len(l)-1].id != r.id { // one event per message
			out[k] = append(l, r)
		}
	}
	return out, rows.Err()
}

// copyOf is message id's place among its copies, nil when the sink holds
// it once: among the messages of its Message-ID and sender, those joined
// to it by recipients in common (directly, or through another copy).
func copyOf(copies map[copyKey][]copyRow, msgID, from string, id int64) *MessageCopy {
	if msgID == "" {
		return nil
	}
	group := overlapping(copies[copyKey{msgID, strings.ToLower(from)}], id)
	i := slices.IndexFunc(group, func(r copyRow) bool { return r.id == id })
	if len(group) < 2 || i < 0 {
		return nil
	}
	c := &MessageCopy{N: i + 1, Of: len(group), MessageID: textOf(msgID)}
	if !sameRecipients(group) {
		// What makes it a copy: the recipients it repeats of the ones
		// before it, or, the first, that the ones after it repeat.
		others := group[:i]
		if i == 0 {
			others = group[1:]
		}
		had := map[string]bool{}
		for _, o := range others {
			for _, rc := range o.rcpts {
				had[strings.ToLower(rc)] = true
			}
		}
		var again []string
		for _, rc := range group[i].rcpts {
			if had[strings.ToLower(rc)] {
				again = append(again, textOf(rc))
			}
		}
		c.Again = addressList(strings.Join(again, "\n"))
	}
	return c
}

// overlapping is the messages of rows (oldest first) that share a
// recipient, any case, with message id, or with one that does, and so
// on: id's group, oldest first; nil when id is not in rows.
func overlapping(rows []copyRow, id int64) []copyRow {
	// Union-find over rows, joined through the first row that had each
	// recipient.
	parent := make([]int, len(rows))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	first := map[string]int{}
	at := -1
	for i, r := range rows {
		if r.id == id {
			at = i
		}
		for _, rc := range r.rcpts {
			k := strings.ToLower(rc)
			if j, ok := first[k]; ok {
				parent[find(i)] = find(j)
			} else {
				first[k] = i
			}
		}
	}
	if at < 0 {
		return nil
	}
	var out []copyRow
	for i, r := range rows {
		if find(i) == find(at) {
			out = append(out, r)
		}
	}
	return out
}

// sameRecipients says whether every message of group has the same
// recipients, any case and order.
func sameRecipients(group []copyRow) bool {
	set := func(r copyRow) string {
		l := make([]string, len(r.rcpts))
		for i, rc := range r.rcpts {
			l[i] = strings.ToLower(rc)
		}
		slices.Sort(l)
		return strings.Join(slices.Compact(l), "\n")
	}
	want := set(group[0])
	for _, r := range group[1:] {
		if set(r) != want {
			return false
		}
	}
	return true
}

// markCopies sets the Copy of each of ms, the inbox's page, whose
// Message-ID (msgIDs, by index) the sink holds more than once from its
// sender (froms, as stored), to recipients that overlap.
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
