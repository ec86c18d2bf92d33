package relay

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// DSNReport is what a DSN from the receiving side said of a recipient
// without reporting a failure (RFC 3464 2.3.3: delayed, delivered,
// relayed or expanded; a failed one is a relay.bounced with async:
// true): the payload of its events.RelayDSNReceived, which leaves the
// recipient's state as it was, and in RecipientInfo.Reports (queue
// show).
type DSNReport struct {
	Time   time.Time `json:"time,omitzero"`
	Action string    `json:"action"` // delayed, delivered, relayed or expanded
	Status string    `json:"status,omitempty"`
	// Reply is read from the DSN's Diagnostic-Code (stage async), as a
	// late bounce's is; zero when the DSN gave none.
	Reply          Reply     `json:"reply,omitzero"`
	RemoteMTA      string    `json:"remote_mta,omitempty"`
	ReportingMTA   string    `json:"reporting_mta,omitempty"`
	WillRetryUntil time.Time `json:"will_retry_until,omitzero"`
	// State is the recipient's state when the DSN came, which it keeps.
	State string `json:"state,omitempty"`
	// Reason says in plain words what the DSN means, Advice what to do.
	Reason string `json:"reason"`
	Advice string `json:"advice"`
	// RelayedAs is the relay's message that carries the DSN on to the
	// sender, when it came in to be relayed (no VERP). A delay that came
	// to the relay's VERP address is told to the sender in a DSN of the
	// relay's own, whose relay.dsn event follows, as NOTIFY allows.
	RelayedAs string `json:"relayed_as,omitempty"`
}

// reportReading is the plain reading of a DSN's action that is not a
// failure (RFC 3464 2.3.3), and what to do about it.
func reportReading(action string, until time.Time) (reason, advice string) {
	switch action {
	case dsn.ActionDelayed:
		reason = "a delayed DSN: the receiving side took the message and is still trying to deliver it (RFC 3464 2.3.3); the recipient is not bounced"
		if !until.IsZero() {
			reason += ", and it says it will keep trying until " + until.UTC().Format(time.RFC3339)
		}
		return reason, "no action needed: the receiving side is still trying; act only if a failed DSN follows"
	case dsn.ActionDelivered:
		return "a delivered DSN: the receiving side reports the message delivered to the recipient (RFC 3464 2.3.3)", "nothing"
	case dsn.ActionRelayed:
		return "a relayed DSN: the receiving side passed the message on to a system that sends no DSNs (RFC 3464 2.3.3), so no later notice will say whether it reached the mailbox",
			"nothing; ask the recipient if you must know that it arrived"
	case dsn.ActionExpanded:
		return "an expanded DSN: the receiving side delivered the message and forwarded it to several addresses (an alias or a list, RFC 3464 2.3.3), whose own outcomes it does not report",
			"nothing"
	}
	return "a DSN with an action RFC 3464 does not define (" + action + "); the recipient's state is unchanged", "nothing"
}

// dsnReply is the reply a DSN's recipient field reports, read from its
// Diagnostic-Code ("550 5.1.1 text", the parser drops its type) and
// Status, at stage async.
func dsnReply(rc dsn.Recipient) Reply {
	rep := Reply{Stage: "async", Enhanced: rc.Status, Text: rc.DiagnosticCode}
	if code, rest, ok := strings.Cut(strings.TrimPrefix(rc.DiagnosticCode, "smtp;"), " "); ok && len(code) == 3 {
		fmt.Sscanf(code, "%d", &rep.Code)
		rep.Text = strings.TrimPrefix(strings.TrimSpace(rest), rc.Status+" ")
	}
	return rep
}

// recipientOf finds the recipient of message id that DSN field rc
// reports on: by its Final-Recipient, else by its Original-Recipient (an
// upstream that rewrote the address, an alias or a forward, names ours
// as the original one; the ORCPT is stored with its type, rfc822 or
// utf-8). ok is false when the message has no such recipient.
func recipientOf(tx *store.Tx, id string, rc dsn.Recipient) (rid int64, addr, state string, ok bool, err error) {
	addr = strings.TrimSpace(strings.TrimPrefix(rc.FinalRecipient, "rfc822;"))
	err = tx.QueryRow(`SELECT id, address, state FROM relay_recipients WHERE message_id = ? AND lower(address) = ?`, id, normAddr(addr)).Scan(&rid, &addr, &state)
	if errors.Is(err, sql.ErrNoRows) && rc.OriginalRecipient != "" {
		orig := strings.TrimSpace(strings.TrimPrefix(rc.OriginalRecipient, "rfc822;"))
		err = tx.QueryRow(`SELECT id, address, state FROM relay_recipients WHERE message_id = ? AND (lower(address) = ? OR lower(orcpt) IN (?, ?))`,
			id, normAddr(orig), "rfc822;"+normAddr(orig), "utf-8;"+normAddr(orig)).Scan(&rid, &addr, &state)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", "", false, nil
	}
	return rid, addr, state, err == nil, err
}

// reportTx records DSN field rc, which reports no failure, for recipient
// addr (row rid, in state) of message id: its events.RelayDSNReceived, with
// what it says and means. carrier is the message relaying the DSN on to
// the sender, if any; passOn says that the relay is to write the sender a
// DSN of its own about a delay (it came to the VERP address: passOnTx,
// as NOTIFY allows). It returns the report, for the log, and the entry
// for that DSN (nil for none).
func reportTx(tx *store.Tx, p *dsn.Parsed, rc dsn.Recipient, id string, rid int64, addr, state, carrier string, passOn bool, now time.Time) (DSNReport, *dsnEntry, error) {
	rep := dsnReply(rc)
	rr := DSNReport{Action: rc.Action, Status: rc.Status, RemoteMTA: rc.RemoteMTA, ReportingMTA: p.Report.ReportingMTA,
		WillRetryUntil: rc.WillRetryUntil, State: state, RelayedAs: carrier}
	if rep.Code != 0 || rep.Text != "" {
		rr.Reply = rep
	}
	rr.Reason, rr.Advice = reportReading(rc.Action, rc.WillRetryUntil)
	var e *dsnEntry
	if passOn && rc.Action == dsn.ActionDelayed {
		e = &dsnEntry{c: claimed{id: rid, msgID: id, address: addr},
			o: outcome{reply: rep, host: strings.TrimSpace(strings.TrimPrefix(rc.RemoteMTA, "dns;"))}, until: rc.WillRetryUntil}
	}
	if _, err := tx.Append(events.Event{Kind: events.RelayDSNReceived, Time: now, Message: id, Recipient: addr}.WithPayload(rr)); err != nil {
		return rr, nil, err
	}
	rr.Time = now
	return rr, e, nil
}

// logReports logs each report a DSN made without a failure, once
// written, as logLateBounces logs the failures: the recipient, the
// message, the action, its status and reply, the MTA that wrote it, the
// state the recipient keeps, and the reason and advice its event has.
func (r *Relay) logReports(id string, reports []reportLine) {
	for _, l := range reports {
		args := []any{"to", l.to, "id", id, "action", l.r.Action, "state", l.r.State}
		if l.r.Status != "" {
			args = append(args, "status", l.r.Status)
		}
		if s := l.r.Reply.String(); s != "" && (l.r.Reply.Code != 0 || l.r.Reply.Text != "") {
			args = append(args, "reply", s)
		}
		if l.r.ReportingMTA != "" {
			args = append(args, "reporting_mta", l.r.ReportingMTA)
		}
		args = append(args, "reason", l.r.Reason, "advice", l.r.Advice)
		r.log.Info("relay: a DSN reports "+l.r.Action, args...)
	}
}

// reportLine is a report for the log: its recipient and what it said.
type reportLine struct {
	to string
	r  DSNReport
}

// dsnReports fills in each recipient's Reports from the message's
// events.RelayDSNReceived events, oldest first.
func (r *Relay) dsnReports(ctx context.Context, id string, rcpts []RecipientInfo) error {
	rows, err := r.store.DB().QueryContext(ctx, hopsSQL, id, events.RelayDSNReceived)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			addr, payload string
			tns           int64
		)
		if err := rows.Scan(&addr, &tns, &payload); err != nil {
			return err
		}
		var rr DSNReport
		if json.Unmarshal([]byte(payload), &rr) != nil {
			continue
		}
		rr.Time = time.Unix(0, tns).UTC()
		for i := range rcpts {
			if rcpts[i].Address == addr {
				rcpts[i].Reports = append(rcpts[i].Reports, rr)
			}
		}
	}
	return rows.Err()
}
