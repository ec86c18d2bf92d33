package relay

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// notifyTx queues an RFC 3464 DSN to msg's envelope sender about entries
// (failed, or delayed when delayed is set), honouring NOTIFY and RET. It
// never writes a DSN about a DSN nor to the null reverse path.
func (r *Relay) notifyTx(tx *store.Tx, msg messageRow, entries []dsnEntry, delayed bool, now time.Time) error {
	if r.cfg.DSN.Disabled || msg.isDSN || msg.sender == "" {
		return nil
	}
	return r.notifyActionTx(tx, msg, entries, map[bool]string{false: dsn.ActionFailed, true: dsn.ActionDelayed}[delayed], now)
}

// notifyActionTx is notifyTx for any action: failed, delayed or relayed.
func (r *Relay) notifyActionTx(tx *store.Tx, msg messageRow, entries []dsnEntry, action string, now time.Time) error {
	if r.cfg.DSN.Disabled || msg.isDSN || msg.sender == "" {
		return nil
	}
	delayed := action == dsn.ActionDelayed
	want := map[string]string{dsn.ActionFailed: "FAILURE", dsn.ActionDelayed: "DELAY", dsn.ActionRelayed: "SUCCESS"}[action]
	rep := dsn.Report{ReportingMTA: r.cfg.Hostname, EnvelopeID: msg.envid, ArrivalDate: msg.created}
	var kept []dsnEntry
	for _, e := range entries {
		// RFC 3461 4.1: NEVER asks for none; no NOTIFY means FAILURE (and
		// DELAY at our discretion), never SUCCESS.
		if (e.c.notify == "" && action == dsn.ActionRelayed) || (e.c.notify != "" && !strings.Contains(e.c.notify, want)) {
			continue
		}
		last, err := lastAttempt(tx, msg.id, e, action, now)
		if err != nil {
			return err
		}
		rc := dsn.Recipient{
			// The ORCPT as it came, type and all (utf-8 or rfc822;
			// RFC 3464 2.3.1, RFC 6533 3); Build types an untyped one.
			OriginalRecipient: e.c.orcpt,
			FinalRecipient:    e.c.address,
			Action:            action,
			Status:            dsnStatus(e, delayed),
			LastAttempt:       last,
		}
		rc.RemoteMTA, rc.DiagnosticCode = diagnostic(e.o)
		if e.suppressed {
			// dsn.Explain would read 5.7.1 from the relay as some policy
			// of its own; the relay knows which, and what undoes it.
			rc.Meaning = "nothing was sent to this address: it is on this relay's suppression list (the reason above: " +
				"an earlier hard bounce, complaint or run of soft bounces, or an entry made by hand), so no receiving server was asked"
			rc.Advice = "check the address; if it is right and should receive mail again, ask the operator of " + r.cfg.Hostname +
				" to take it off the suppression list (relaylab suppress remove), then send the message again"
		}
		if delayed {
			rc.WillRetryUntil = e.until
		}
		rep.Recipients = append(rep.Recipients, rc)
		kept = append(kept, e)
	}
	if len(kept) == 0 {
		return nil
	}
	ret := dsn.ReturnHeaders
	if strings.EqualFold(msg.ret, "FULL") && action == dsn.ActionFailed {
		ret = dsn.ReturnFull
	}
	id := newID()
	data, err := dsn.Build(dsn.BuildOptions{
		To: msg.sender, MessageID: "<" + id + "@" + r.cfg.Hostname + ">", Date: now,
		Return: ret, Original: msg.data, MaxReturn: 1 << 20,
	}, rep)
	if err != nil {
		// A report that cannot be written (a field it cannot carry) must
		// not undo the outcome it reports: the recipients' states are
		// recorded in this transaction, and a failure here would leave
		// them in flight, tried again at every start. No DSN is sent,
		// and the log says why.
		r.log.Error("relay: no DSN was sent: it could not be built", "id", msg.id, "action", action, "to", msg.sender, "err", err)
		return nil
	}
	// RFC 3464 2 and RFC 5321 4.5.5: a DSN goes out with a null reverse path.
	sub := Submission{From: "", Recipients: []Recipient{{Address: msg.sender, Notify: []string{"NEVER"}}}, Data: data, isDSN: true, dsnFor: msg.id}
	if err := r.insertMessage(tx, id, sub, now); err != nil {
		return err
	}
	for _, e := range kept {
		if delayed {
			if _, err := tx.Exec(`UPDATE relay_recipients SET warned = 1 WHERE id = ?`, e.c.id); err != nil {
				return err
			}
		}
		if _, err := tx.Append(events.Event{Kind: events.RelayDSN, Time: now, Message: msg.id, Recipient: e.c.address}.WithPayload(map[string]any{
			"dsn_message": id, "action": action, "to": msg.sender, "status": dsnStatus(e, delayed), "ret": msg.ret,
		})); err != nil {
			return err
		}
	}
	return nil
}

// lastAttempt is the Last-Attempt-Date of e (RFC 3464 2.3.7): the date of
// the relay's last attempt to deliver to the recipient, or zero, and no
// field, when it made none. An attempt is a delivery tried at a server:
// now, when this round made one (or delivered, for a relayed DSN), else
// the last relay.attempt event that reached a host. A recipient the
// suppression list stopped, or whose domain does not exist, was never
// tried, and its DSN says so by leaving the field out.
func lastAttempt(tx *store.Tx, msgID string, e dsnEntry, action string, now time.Time) (time.Time, error) {
	if action == dsn.ActionRelayed || e.o.attempts > e.c.attempts {
		return now, nil
	}
	var ns sql.NullInt64
	if err := tx.QueryRow(`SELECT MAX(time_ns) FROM events WHERE recipient = ? AND message = ? AND kind = ? AND target != ''`,
		e.c.address, msgID, events.RelayAttempt).Scan(&ns); err != nil {
		return time.Time{}, err
	}
	if !ns.Valid {
		return time.Time{}, nil
	}
	return time.Unix(0, ns.Int64), nil
}

// diagnosticType is the diagnostic type (RFC 3464 2.3.6) of what the relay
// says itself, as Postfix writes X-Postfix: its made-up replies (null MX,
// a domain that does not exist, no SMTPUTF8 upstream) and its failures
// without a reply (a refused connection, a DNS error, a timeout).
const diagnosticType = "X-Relaylab"

// diagnostic returns the Remote-MTA and Diagnostic-Code fields for an
// outcome. RFC 3464 2.3.6: the diagnostic type names who made the
// diagnostic, so only a reply a server sent is "smtp", and Remote-MTA
// (2.3.5) names a server only when one took part: it answered, or the
// conversation with it broke off; not for a DNS failure, a connection
// that never opened, or a failure the relay made up itself.
func diagnostic(o outcome) (remoteMTA, code string) {
	rep := o.reply
	host := o.host
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	// One line, and no control character nor byte that is not UTF-8: the
	// field cannot hold them (internal/dsn refuses it), and a server's
	// text is a stranger's, so they are written out as escapes (\x1b).
	oneLine := func(s string) string { return textsafe.Escape(strings.Join(strings.Fields(s), " ")) }
	switch {
	case rep.Code != 0 && !rep.Local:
		return host, "smtp; " + oneLine(rep.String())
	case rep.Text == "":
		return "", ""
	}
	text := oneLine(rep.Text)
	switch rep.Stage {
	case "greeting", "ehlo", "starttls", "tls", "auth", "mail", "rcpt", "data", "dot":
		if rep.Local {
			text += " (server " + host + ")" // it answered, but did not say this
		} else {
			// The session broke off: the server took part, and the
			// stage says which command it left unanswered.
			remoteMTA = host
			text = describeStage(rep.Stage) + ": " + text
		}
	case "connect":
		text = describeStage(rep.Stage) + ": " + text
	}
	return remoteMTA, diagnosticType + "; " + text
}

// dsnStatus is the Status field for an entry (RFC 3463). The reply's
// enhanced code is taken when its class agrees with the action (RFC 3464
// 2.3.4): a delay is transient (4), whatever the last reply; a 5xx to the
// path's own AUTH is retried, and its 5.7.8 is no delay's status.
func dsnStatus(e dsnEntry, delayed bool) string {
	enh := e.o.reply.Enhanced
	if dsn.ValidStatus(enh) && !e.expired && (!delayed || enh[0] == '4') {
		return enh
	}
	switch {
	case e.o.reply.Code/100 == 2:
		return "2.0.0"
	case delayed:
		return "4.4.7" // 4.4.7: delivery time expired (not yet)
	case e.expired:
		return "4.4.7"
	case e.o.reply.Code >= 500:
		return "5.0.0"
	}
	return "4.0.0"
}

// notifyRelayed sends a "relayed" DSN (RFC 3464 2.3.3) for recipients that
// asked for NOTIFY=SUCCESS and were delivered to a server that did not take
// the DSN parameters on; a server that did sends its own (RFC 3461 5.2).
// It is a write of its own: a crash before it loses only this notice.
func (r *Relay) notifyRelayed(ctx context.Context, j *job, msg messageRow, results []result) (bool, error) {
	var entries []dsnEntry
	for i, res := range results {
		c := j.rcpts[i]
		if res.delivered() && !res.dsnPassed && strings.Contains(c.notify, "SUCCESS") {
			entries = append(entries, dsnEntry{c: c, o: outcome{path: res.path, host: res.host, reply: res.reply}})
		}
	}
	if len(entries) == 0 || r.cfg.DSN.Disabled || msg.isDSN || msg.sender == "" {
		return false, nil
	}
	now := r.clock.Now()
	return true, r.store.Write(ctx, func(tx *store.Tx) error {
		return r.notifyActionTx(tx, msg, entries, dsn.ActionRelayed, now)
	})
}
