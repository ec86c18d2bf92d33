package relay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/relaylab/relaylab/internal/events"
)

// QueuePage is a page of the queue (ListPage): its messages, in the
// listing's order, with how many match the filter on every page, and
// whether there are more either side of it.
type QueuePage struct {
	Messages []MessageInfo `json:"messages"`
	// Total is the number of messages the filter matches, on all pages.
	Total int `json:"total"`
	// More says that messages follow the page (QueueFilter.After with
	// the last id lists them); Earlier, that messages come before it
	// (BeforeID with the first id).
	More    bool `json:"more"`
	Earlier bool `json:"earlier"`
	// CursorMatches says that the message paged from (After or
	// BeforeID) matches the filter itself, and so is one of Total: a
	// page that comes out empty then says how many match besides it.
	CursorMatches bool `json:"cursor_matches,omitempty"`
}

// ListPage is List with the total and paging: the page QueueFilter's
// After or BeforeID asks for, Total counting every message the filter
// matches. Paging goes by (creation time, id), so that messages queued
// at one instant (a replay's, on the virtual clock) are neither skipped
// nor listed twice.
func (r *Relay) ListPage(ctx context.Context, f QueueFilter) (QueuePage, error) {
	return r.listPage(ctx, f, true)
}

func (r *Relay) listPage(ctx context.Context, f QueueFilter, count bool) (QueuePage, error) {
	var page QueuePage
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	if f.After != "" && f.BeforeID != "" {
		return page, errors.New("relay: a queue listing pages after one message or before one, not both")
	}
	where, args := queueWhere(f)
	if count {
		if err := r.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM relay_messages WHERE `+strings.Join(where, " AND "), args...).Scan(&page.Total); err != nil {
			return page, err
		}
	}
	// Newest first is created_ns DESC, id ASC; oldest first, its
	// reverse. A page before a message is read in the other order, from
	// it, and turned round.
	desc := !f.Oldest
	cursor := f.After
	if f.BeforeID != "" {
		desc, cursor = !desc, f.BeforeID
	}
	if cursor != "" {
		created, err := r.createdNS(ctx, cursor)
		if err != nil {
			return page, err
		}
		if count {
			n := 0
			if err := r.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM relay_messages WHERE `+strings.Join(where, " AND ")+` AND id = ?`, append(slices.Clone(args), cursor)...).Scan(&n); err != nil {
				return page, err
			}
			page.CursorMatches = n > 0
		}
		if desc {
			where = append(where, "(created_ns < ? OR (created_ns = ? AND id > ?))")
		} else {
			where = append(where, "(created_ns > ? OR (created_ns = ? AND id < ?))")
		}
		args = append(args, created, created, cursor)
	}
	order := "created_ns DESC, id"
	if !desc {
		order = "created_ns, id DESC"
	}
	args = append(args, limit+1) // one more says whether there are more
	rows, err := r.store.DB().QueryContext(ctx, `SELECT id, sender, envid, ret, is_dsn, dsn_for, auth_user, client, size, created_ns, expires_ns
		FROM relay_messages WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` LIMIT ?`, args...)
	if err != nil {
		return page, err
	}
	var out []MessageInfo
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return page, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, err
	}
	beyond := len(out) > limit
	if beyond {
		out = out[:limit]
	}
	if f.BeforeID != "" {
		slices.Reverse(out)
		page.Earlier, page.More = beyond, true
	} else {
		page.More, page.Earlier = beyond, f.After != ""
	}
	if err := r.details(ctx, out); err != nil {
		return page, err
	}
	page.Messages = out
	return page, nil
}

// queueWhere is the WHERE clause (joined with AND) of f's state,
// recipient and domain, and its arguments: one recipient must match them
// all.
func queueWhere(f QueueFilter) ([]string, []any) {
	var (
		rc   []string
		args []any
	)
	switch f.State {
	case "":
	case "waiting":
		rc = append(rc, `state IN ('queued', 'deferred', 'inflight', 'held')`)
	default:
		rc = append(rc, `state = ?`)
		args = append(args, f.State)
	}
	if f.Recipient != "" {
		rc = append(rc, `instr(lower(address), ?) > 0`)
		args = append(args, strings.ToLower(f.Recipient))
	}
	if d := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(f.Domain)), "@"); d != "" {
		rc = append(rc, `lower(address) LIKE ? ESCAPE '\'`)
		args = append(args, "%@"+likeEscape(d))
	}
	where := []string{"1=1"}
	if len(rc) > 0 {
		where = append(where, `id IN (SELECT message_id FROM relay_recipients WHERE `+strings.Join(rc, " AND ")+`)`)
	}
	if !f.Before.IsZero() {
		where = append(where, "created_ns < ?")
		args = append(args, f.Before.UnixNano())
	}
	return where, args
}

// likeEscape escapes LIKE's wildcards (and its escape) in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// createdNS is when message id was queued, to page from it: from its row,
// or, for a message deleted since, its relay.queued event.
func (r *Relay) createdNS(ctx context.Context, id string) (int64, error) {
	var ns sql.NullInt64
	err := r.store.DB().QueryRowContext(ctx, `SELECT created_ns FROM relay_messages WHERE id = ?`, id).Scan(&ns)
	if errors.Is(err, sql.ErrNoRows) {
		err = r.store.DB().QueryRowContext(ctx, `SELECT MIN(time_ns) FROM events INDEXED BY events_message WHERE message = ? AND message != '' AND kind = ?`, id, events.RelayQueued).Scan(&ns)
	}
	if err != nil {
		return 0, err
	}
	if !ns.Valid {
		return 0, fmt.Errorf("%w: %s, the message to page from (the last id of the page before, or the first of the page after)", ErrNotFound, id)
	}
	return ns.Int64, nil
}
