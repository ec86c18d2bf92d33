package web

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/relaylab/relaylab/internal/events"
)

// maxSpellings bounds how many differently cased spellings of one address
// a recipient's timeline gathers.
const maxSpellings = 20

// recipientSpellings are the ways addr is written in the event log,
// compared case-insensitively (ASCII letters): addr itself first when the
// log has it, then the others in byte order. RFC 5321 2.4: a domain is
// case-insensitive; a local part may in principle be case-sensitive, but
// receivers, and the relay's suppression list, treat it as not, so a
// search for DEFER2+you@EXAMPLE.test finds defer2+you@example.test.
func (s *Server) recipientSpellings(ctx context.Context, addr string) ([]string, error) {
	q, args := spellingsQuery(addr)
	rows, err := s.opts.Store.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sp string
		if err := rows.Scan(&sp); err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i] == addr) != (out[j] == addr) {
			return out[i] == addr
		}
		return out[i] < out[j]
	})
	return out, nil
}

// spellingsQuery is recipientSpellings' query, and its arguments. The
// index on recipient is in byte order, where "D" and "d" lie apart: each
// casing of the first few letters bounds a range of it, so the lookup
// reads the addresses that begin alike, not the whole index (a scan of it
// took 160 ms at 500,000 events). The same in event_recipients, the
// addresses of events about several recipients (a refusal of a
// transaction's data, a message to several), which name none in their
// recipient column.
func spellingsQuery(addr string) (string, []any) {
	var arms []string
	var args []any
	for _, p := range casings(addr, prefixLetters) {
		arms = append(arms, `SELECT recipient FROM events WHERE recipient != '' AND recipient >= ? AND recipient < ? AND recipient = ? COLLATE NOCASE`,
			`SELECT recipient FROM event_recipients WHERE recipient >= ? AND recipient < ? AND recipient = ? COLLATE NOCASE`)
		args = append(args, p, after(p), addr, p, after(p), addr)
	}
	return strings.Join(arms, " UNION ") + ` LIMIT ?`, append(args, maxSpellings)
}

// prefixLetters is how many leading bytes of an address casings varies:
// at most 2^3 ranges of the index.
const prefixLetters = 3

// casings are the prefixes of addr's first n bytes in every casing of
// their ASCII letters; they stop before the first byte that is not ASCII,
// whose other cases SQLite's NOCASE does not fold either.
func casings(addr string, n int) []string {
	out := []string{""}
	for i := 0; i < len(addr) && i < n && addr[i] < 0x80; i++ {
		c := addr[i]
		lo, up := c|0x20, c&^0x20
		var next []string
		for _, p := range out {
			if 'a' <= lo && lo <= 'z' {
				next = append(next, p+string(lo), p+string(up))
			} else {
				next = append(next, p+string(c))
			}
		}
		out = next
	}
	return out
}

// after is the least string greater than every string that begins with p
// ("" when p is empty: no bound).
func after(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\xff\xff\xff\xff"
}

// readEvents reads the events of f as Store.Events does, except that a
// recipient matches whatever the case of its ASCII letters, as a
// recipient's timeline does: the events of every spelling the log has
// (recipientSpellings), in id order, at most f.Limit (default 1000); and
// each sink.reply carries the sink's explanation of its reply (what the
// pages, the timelines and the stream's backlog show).
func (s *Server) readEvents(ctx context.Context, f events.Filter) ([]events.Event, error) {
	if f.Recipient == "" {
		evs, err := s.opts.Store.Events(ctx, f)
		s.explain.events(evs)
		return evs, err
	}
	spellings, err := s.recipientSpellings(ctx, f.Recipient)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	var evs []events.Event
	for _, sp := range spellings {
		g := f
		g.Recipient = sp
		some, err := s.opts.Store.Events(ctx, g)
		if err != nil {
			return nil, err
		}
		evs = append(evs, some...)
	}
	// Each spelling gave its first f.Limit after f.AfterID, so the first
	// f.Limit of them all are among these. An event that lists two
	// spellings (one transaction to B@x and b@x) came twice.
	sort.Slice(evs, func(i, j int) bool { return evs[i].ID < evs[j].ID })
	evs = slices.CompactFunc(evs, func(a, b events.Event) bool { return a.ID == b.ID })
	evs = evs[:min(len(evs), f.Limit)]
	s.explain.events(evs)
	return evs, nil
}

// matchEvent reports whether e passes f, as f.Match does, except that the
// recipient matches whatever the case of its ASCII letters (as readEvents
// and SQLite's NOCASE), and also an event about several recipients that
// lists it (listedRecipients): what the live stream sends is what its
// backlog and /api/v1/events would.
func matchEvent(f events.Filter, e events.Event) bool {
	rcpt := f.Recipient
	f.Recipient = ""
	return f.Match(e) && (rcpt == "" || listedSpelling(e, rcpt) != "")
}

// listedSpelling is how e spells rcpt (compared as asciiEqualFold): its
// recipient, or one its payload lists (listedRecipients); "" when e is
// not about rcpt.
func listedSpelling(e events.Event, rcpt string) string {
	if e.Recipient != "" {
		if asciiEqualFold(rcpt, e.Recipient) {
			return e.Recipient
		}
		return ""
	}
	for _, r := range listedRecipients(e) {
		if asciiEqualFold(rcpt, r) {
			return r
		}
	}
	return ""
}

// listedRecipients are the recipients an event about several lists in
// its payload, its recipient column being empty: a sink.reply refusing a
// transaction's data (its recipients, the first 100) and a sink.message to
// several (its to). They are what the store's event_recipients indexes
// (migration 0002's trigger reads the same keys of the same kinds), which
// a recipient filter of Store.Events reads.
func listedRecipients(e events.Event) []string {
	if e.Recipient != "" || e.Kind != events.SinkReply && e.Kind != events.SinkMessage {
		return nil
	}
	return payloadRecipients(e)
}

// asciiEqualFold is strings.EqualFold for ASCII letters alone.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
