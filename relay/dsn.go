package relay

import (
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// notifyTx queues an RFC 3464 DSN to msg's envelope sender about entries
// (failed, or delayed when delayed is set), honouring NOTIFY and RET. It
// never writes a DSN about a DSN nor to the null reverse path.
func (r *Relay) notifyTx(tx *store.Tx, msg messageRow, entries []dsnEntry, delayed bool, now time.Time) error {
	if r.cfg.DSN.Disabled || msg.isDSN || msg.sender == "" {
		return nil
	}
	want := "FAILURE"
	if delayed {
		want = "DELAY"
	}
	rep := dsn.Report{ReportingMTA: r.cfg.Hostname, EnvelopeID: msg.envid, ArrivalDate: msg.created}
	var kept []dsnEntry
	for _, e := range entries {
		// RFC 3461 4.1: NEVER asks for none; no NOTIFY means FAILURE (and
		// DELAY at our discretion).
		if e.c.notify != "" && !strings.Contains(e.c.notify, want) {
			continue
		}
		rc := dsn.Recipient{
			OriginalRecipient: strings.TrimPrefix(e.c.orcpt, "rfc822;"),
			FinalRecipient:    e.c.address,
			Action:            dsn.ActionFailed,
			Status:            dsnStatus(e, delayed),
			RemoteMTA:         e.o.host,
			LastAttempt:       now,
		}
		if i := strings.IndexByte(rc.RemoteMTA, ':'); i >= 0 {
			rc.RemoteMTA = rc.RemoteMTA[:i]
		}
		if e.o.reply.Code != 0 {
			rc.DiagnosticCode = strings.ReplaceAll(e.o.reply.String(), "\n", " ")
		} else if e.o.reply.Text != "" {
			rc.Extra = dsn.Header{{Name: "X-Relaylab-Error", Value: strings.ReplaceAll(e.o.reply.String(), "\n", " ")}}
		}
		if delayed {
			rc.Action = dsn.ActionDelayed
			rc.WillRetryUntil = e.until
		}
		rep.Recipients = append(rep.Recipients, rc)
		kept = append(kept, e)
	}
	if len(kept) == 0 {
		return nil
	}
	ret := dsn.ReturnHeaders
	if strings.EqualFold(msg.ret, "FULL") && !delayed {
		ret = dsn.ReturnFull
	}
	id := newID()
	data, err := dsn.Build(dsn.BuildOptions{
		To: msg.sender, MessageID: "<" + id + "@" + r.cfg.Hostname + ">", Date: now,
		Return: ret, Original: msg.data, MaxReturn: 1 << 20,
	}, rep)
	if err != nil {
		return err
	}
	// RFC 3464 2 and RFC 5321 4.5.5: a DSN goes out with a null reverse path.
	sub := Submission{From: "", Recipients: []Recipient{{Address: msg.sender, Notify: []string{"NEVER"}}}, Data: data, isDSN: true}
	if err := r.insertMessage(tx, id, sub, now); err != nil {
		return err
	}
	for _, e := range kept {
		if delayed {
			if _, err := tx.Exec(`UPDATE relay_recipients SET warned = 1 WHERE id = ?`, e.c.id); err != nil {
				return err
			}
		}
		action := dsn.ActionFailed
		if delayed {
			action = dsn.ActionDelayed
		}
		if _, err := tx.Append(events.Event{Kind: events.RelayDSN, Time: now, Message: msg.id, Recipient: e.c.address}.WithPayload(map[string]any{
			"dsn_message": id, "action": action, "to": msg.sender, "status": dsnStatus(e, delayed), "ret": msg.ret,
		})); err != nil {
			return err
		}
	}
	return nil
}

// dsnStatus is the Status field for an entry (RFC 3463).
func dsnStatus(e dsnEntry, delayed bool) string {
	if dsn.ValidStatus(e.o.reply.Enhanced) && !e.expired {
		return e.o.reply.Enhanced
	}
	switch {
	case delayed:
		return "4.4.7" // 4.4.7: delivery time expired (not yet)
	case e.expired:
		return "4.4.7"
	case e.o.reply.Code >= 500:
		return "5.0.0"
	}
	return "4.0.0"
}
