package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/relaylab/relaylab/web"
)

// envelopeTranscriptBytes is how much of a session's transcript is read
// for its first MAIL FROM, for a session that made no recipient's
// attempt: such a session was refused or left early, and its MAIL FROM,
// if any, comes within its first lines.
const envelopeTranscriptBytes = 16 << 10

// sessionEnvelopes fills in each listed session's envelope: the sender
// and recipient of its first recipient's attempt, with how many attempts
// it made (up to web.SessionEnvelopeCount), found through the
// sink_attempts_session index without reading a long session's attempts
// all; for a session without an attempt, the sender of the first MAIL
// FROM its transcript has (one refused at MAIL, or left after it). A
// session refused before MAIL has none.
func (a sinkAdapter) sessionEnvelopes(ctx context.Context, out []web.SinkSession, idx map[int64]int, args []any) error {
	in := `(?` + strings.Repeat(",?", len(args)-1) + `)`
	rows, err := a.db.QueryContext(ctx, `SELECT s.id, f.sender, f.recipient,
			(SELECT COUNT(*) FROM (SELECT 1 FROM sink_attempts x WHERE x.session_id = s.id LIMIT ?))
		FROM sink_sessions s JOIN sink_attempts f ON f.id = (SELECT MIN(x.id) FROM sink_attempts x WHERE x.session_id = s.id)
		WHERE s.id IN `+in, append([]any{web.SessionEnvelopeCount + 1}, args...)...)
	if err != nil {
		return fmt.Errorf("sink: envelopes of sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sess int64
		var e web.SessionEnvelope
		if err := rows.Scan(&sess, &e.Sender, &e.Recipient, &e.Recipients); err != nil {
			return err
		}
		if e.Recipients > web.SessionEnvelopeCount {
			e.Recipients, e.RecipientsMore = web.SessionEnvelopeCount, true
		}
		if i, ok := idx[sess]; ok {
			out[i].Envelope = &e
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	var rest []any
	for id, i := range idx {
		if out[i].Envelope == nil {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	trs, err := a.db.QueryContext(ctx, `SELECT id, substr(transcript, 1, ?) FROM sink_sessions WHERE id IN (?`+strings.Repeat(",?", len(rest)-1)+`)`,
		append([]any{envelopeTranscriptBytes}, rest...)...)
	if err != nil {
		return fmt.Errorf("sink: transcripts of sessions without an attempt: %w", err)
	}
	defer trs.Close()
	for trs.Next() {
		var sess int64
		var tr string
		if err := trs.Scan(&sess, &tr); err != nil {
			return err
		}
		if sender, ok := firstMailFrom(tr); ok {
			out[idx[sess]].Envelope = &web.SessionEnvelope{Sender: sender}
		}
	}
	return trs.Err()
}

// firstMailFrom is the sender of the first MAIL FROM a transcript's
// client lines ("SECONDS C TEXT") hold, in any case, "" for the null
// sender (mailFromAddr, as expect's lastMailFrom reads them); ok is false
// when there is none.
func firstMailFrom(tr string) (sender string, ok bool) {
	for line := range strings.Lines(tr) {
		f := strings.SplitN(strings.TrimSpace(line), " ", 3)
		if len(f) == 3 && f[1] == "C" {
			if a, ok := mailFromAddr(f[2]); ok {
				return a, true
			}
		}
	}
	return "", false
}
