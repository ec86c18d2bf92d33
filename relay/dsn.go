package relay

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
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
		if e.o.verdict.Reason == "" && !e.suppressed && action != dsn.ActionRelayed {
			// A delay warning of warnDelayed's scan: the recipient's row
			// keeps neither the stage of its last reply nor the verdict's
			// reason, which its last deferral has.
			if err := lastDeferral(tx, msg.id, &e); err != nil {
				return err
			}
		}
		if action != dsn.ActionRelayed && r.ownSideKind(e) == "shaping" {
			if e.server, err = lastServerReply(tx, msg.id, e); err != nil {
				return err
			}
		}
		rep.Recipients = append(rep.Recipients, r.dsnRecipient(e, action, last))
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

// dsnRecipient is the report of e in a DSN with action; last is its
// Last-Attempt-Date.
func (r *Relay) dsnRecipient(e dsnEntry, action string, last time.Time) dsn.Recipient {
	rc := dsn.Recipient{
		// The ORCPT as it came, type and all (utf-8 or rfc822;
		// RFC 3464 2.3.1, RFC 6533 3); Build types an untyped one.
		OriginalRecipient: e.c.orcpt,
		FinalRecipient:    e.c.address,
		Action:            action,
		Status:            dsnStatus(e, action == dsn.ActionDelayed),
		LastAttempt:       last,
	}
	rc.RemoteMTA, rc.DiagnosticCode = diagnostic(e.o)
	if e.server != nil {
		// The server's reply is the diagnostic (RFC 3464 2.3.6), as
		// Postfix's bounce of mail it held gives the last "host said";
		// the hold is in the meaning.
		rc.RemoteMTA, rc.DiagnosticCode = diagnostic(*e.server)
	}
	if e.suppressed {
		// dsn.Explain would read 5.7.1 from the relay as some policy
		// of its own; the relay knows which, and what undoes it.
		rc.Meaning = "nothing was sent to this address: it is on this relay's suppression list (the reason above: " +
			"an earlier hard bounce, complaint or run of soft bounces, or an entry made by hand), so no receiving server was asked"
		rc.Advice = "check the address; if it is right and should receive mail again, ask the operator of " + r.cfg.Hostname +
			" to take it off the suppression list (relaylab suppress remove), then send the message again"
	} else {
		// dsn.Explain reads the status alone, and would have the
		// sender check the address for what is the relay's own doing.
		rc.Meaning, rc.Advice = r.explainEntry(e, action)
	}
	if action == dsn.ActionDelayed {
		rc.WillRetryUntil = e.until
	}
	return rc
}

// lastAttempt is the Last-Attempt-Date of e (RFC 3464 2.3.7): the date of
// the relay's last attempt to deliver to the recipient, or zero, and no
// field, when it made none. An attempt is what counts as one for the
// retry policy (and has its relay.attempt event): a delivery tried at a
// server, or a lookup of the recipient's domain or its MX hosts that
// failed for now (SERVFAIL, a timeout); now, when this round made one (or
// delivered, for a relayed DSN), else the last relay.attempt event. A
// delay warning written between attempts after a SERVFAIL of the domain
// had no field, where one after an MX host without an address had it. A
// recipient the suppression list stopped, or whose domain does not exist,
// was never tried, and its DSN says so by leaving the field out.
func lastAttempt(tx *store.Tx, msgID string, e dsnEntry, action string, now time.Time) (time.Time, error) {
	if action == dsn.ActionRelayed || e.o.attempts > e.c.attempts {
		if !e.at.IsZero() {
			return e.at, nil // when its job ended, which a round's last job may write later
		}
		return now, nil
	}
	var ns sql.NullInt64
	if err := tx.QueryRow(`SELECT MAX(time_ns) FROM events WHERE recipient = ? AND message = ? AND kind = ?`,
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
	host := hostName(o.host)
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
		text = connectText(host, text)
	}
	return remoteMTA, diagnosticType + "; " + text
}

// hostName is a path's or an attempt's host without its port.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// dialError matches Go's error for a dial that failed, with the address
// it dialled: "dial tcp 192.0.2.1:25: connect: connection refused".
var dialError = regexp.MustCompile(`^dial (?:tcp[46]? )?(\S+): (?:connect: )?(.+)$`)

// connectText says what a failed connection met, naming the host and
// the address it dialled, as Postfix does ("connect to
// mx1.example.com[192.0.2.1]:25: Connection refused"): an MX host's name
// is not in Go's error.
func connectText(host, text string) string {
	if m := dialError.FindStringSubmatch(text); m != nil {
		if ip, port, err := net.SplitHostPort(m[1]); err == nil {
			if host == "" {
				host = ip
			}
			return "connect to " + host + "[" + ip + "]:" + port + ": " + m[2]
		}
	}
	return describeStage("connect") + ": " + text
}

// dsnStatus is the Status field for an entry (RFC 3463). A failure
// takes the reply's enhanced code. A delay, and a recipient the retry
// policy gave up on, are transient (class 4, RFC 3464 2.3.4): they take
// the status of what the last attempt met (transientStatus), so that
// "Status: 4.4.7" (delivery time expired) is not said of a delay that has
// not expired nor of a connection that was refused. A recipient that
// expired at the message's max_age is 4.4.7, as RFC 3463 3.5 has it: the
// message stayed on the host too long; so is one the policy gave up on
// after a failure that says no more (no enhanced code, nothing the relay
// can name).
func dsnStatus(e dsnEntry, delayed bool) string {
	rep := e.o.reply
	if e.server != nil && (delayed || e.expired) {
		// Held by the relay's shaping after a server's reply: the
		// status is of what that attempt met, as its diagnostic is.
		rep = e.server.reply
	}
	switch {
	case rep.Code/100 == 2:
		return "2.0.0"
	case e.expired && e.aged:
		return "4.4.7"
	case delayed || e.expired:
		if st := transientStatus(rep, e.o.verdict.Category); st != "" {
			return st
		}
		if e.expired {
			return "4.4.7"
		}
		return "4.0.0"
	case dsn.ValidStatus(rep.Enhanced):
		return rep.Enhanced
	case rep.Code >= 500:
		return "5.0.0"
	}
	return "4.0.0"
}

// transientStatus is the class 4 status (RFC 3463) of what a delivery
// met, for a delay or an expiry: the reply's enhanced code, moved to class
// 4 when it is of class 5 (a 535 5.7.8 to the path's own AUTH is retried,
// so it is 4.7.8, as the relay's deferral after a 5xx greeting is); else
// one for what happened, by the reply's stage and category; "" when there
// is none to give.
func transientStatus(rep Reply, category string) string {
	if enh := rep.Enhanced; dsn.ValidStatus(enh) && (enh[0] == '4' || enh[0] == '5') {
		return "4" + enh[1:]
	}
	switch {
	case rep.Stage == "shaping" || category == "shaping" || category == "destination-backoff":
		// X.4.5, mail system congestion: the relay held the message back
		// to keep its traffic within the limits it was given, or after
		// the destination said it had too much (a 421, a rate limit).
		return "4.4.5"
	case rep.Stage == "dns" || category == "dns-failure":
		return "4.4.3" // X.4.3, directory server failure
	case category == "credentials-refused":
		return "4.7.8" // X.7.8, authentication credentials invalid (RFC 4954 6)
	case category == "auth-not-offered":
		return "4.7.4" // X.7.4, security features not supported
	case category == "tls-failure" && strings.Contains(rep.Text, "does not offer STARTTLS"):
		return "4.7.4"
	case category == "tls-failure":
		return "4.7.5" // X.7.5, cryptographic failure: the handshake or the certificate
	case rep.Code == 0 && (rep.Stage == "connect" || rep.Stage == "" && dialError.MatchString(rep.Text)):
		return "4.4.1" // X.4.1, no answer from host: refused, or timed out
	case rep.Code == 0 && (category == "connection" || category == "connection-lost-after-data"):
		return "4.4.2" // X.4.2, bad connection: it broke off or timed out in the session
	case category == "protocol-error":
		return "4.5.0" // X.5.0, other protocol status
	}
	return ""
}

// lastServerReply is the last reply a server gave recipient e of message
// msgID (its last relay.attempt event with a server's own reply), for a
// DSN whose own last reply is a hold of the relay's shaping: the hold
// mostly came of what the server said (a 421, a rate limit), and "nothing
// was sent" would be untrue of attempts the server answered. nil when no
// server answered any.
func lastServerReply(tx *store.Tx, msgID string, e dsnEntry) (*outcome, error) {
	rows, err := tx.Query(`SELECT path, target, payload FROM events WHERE message = ? AND recipient = ? AND kind = ? AND target != '' ORDER BY id DESC`,
		msgID, e.c.address, events.RelayAttempt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			o   outcome
			raw []byte
		)
		if err := rows.Scan(&o.path, &o.host, &raw); err != nil {
			return nil, err
		}
		var p struct {
			Reply Reply `json:"reply"`
		}
		if json.Unmarshal(raw, &p) == nil && p.Reply.Code != 0 && !p.Reply.Local {
			o.reply = p.Reply
			return &o, nil
		}
	}
	return nil, rows.Err()
}

// lastDeferral fills in e's reply stage and verdict reason and advice from
// the recipient's last relay.deferred event, when its reply is the one
// the recipient's row keeps.
func lastDeferral(tx *store.Tx, msgID string, e *dsnEntry) error {
	var raw []byte
	err := tx.QueryRow(`SELECT payload FROM events WHERE message = ? AND recipient = ? AND kind = ? ORDER BY id DESC LIMIT 1`,
		msgID, e.c.address, events.RelayDeferred).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var p struct {
		Reply    Reply  `json:"reply"`
		Category string `json:"category"`
		Reason   string `json:"reason"`
		Advice   string `json:"advice"`
	}
	if json.Unmarshal(raw, &p) != nil || p.Reply.Text != e.o.reply.Text {
		return nil // not the reply it has now: leave it as it is
	}
	e.o.reply.Stage, e.o.reply.Local = p.Reply.Stage, p.Reply.Local
	if p.Category == e.o.verdict.Category {
		e.o.verdict.Reason, e.o.verdict.Advice = p.Reason, p.Advice
	}
	return nil
}

// explainEntry returns the meaning and advice of a DSN for e, where its
// category says more than its status, which is all dsn.Explain reads:
// a failure on the relay's own side (ownSide), every MX host that
// greeted with 521, a line too long. Empty for the others.
func (r *Relay) explainEntry(e dsnEntry, action string) (meaning, advice string) {
	rep := e.o.reply
	if rep.Stage == "async" || action == dsn.ActionRelayed || rep.Code/100 == 2 {
		return "", ""
	}
	if meaning, advice = r.ownSide(e, action); meaning != "" {
		return meaning, advice
	}
	if action == dsn.ActionFailed && e.expired {
		return givenUp(e)
	}
	if action != dsn.ActionFailed {
		return "", ""
	}
	switch e.o.verdict.Category {
	case "greeting-refused":
		if rep.Code == 521 {
			// RFC 7504 3: 521, the host does not accept mail at all.
			return "no mail server of the recipient's domain accepts mail: each answered 521, \"does not accept mail\" (RFC 7504), so nothing was sent, and no later attempt could deliver it",
				"check the part of the address after the @ for typos; if it is right, the address cannot receive mail: remove it from your list, or ask the recipient for another address"
		}
	case "line-too-long":
		// RFC 5321 4.5.3.1.6: 1000 octets with the CRLF.
		return "the receiving server refused a line of the message longer than it reads (SMTP allows 998 characters and the line end, RFC 5321 4.5.3.1.6), so it cannot be delivered as written",
			"have the program that wrote the message wrap its lines, or encode long text quoted-printable or base64, then send it again"
	}
	return "", ""
}

// givenUp returns the meaning and advice of a DSN for a recipient the
// retry policy gave up on, where dsn.Explain, which reads the status
// alone, would say what is untrue: that the message was never delivered
// after a connection that broke off after the data (the server may have
// delivered it, and "send it again" would make another copy), or that the
// relay retried "for as long as the message may wait" when its policy's
// max_attempts ended it, or when the relay's operator held it by hand for
// much of that time (handHoldMeaning). Empty for the others.
func givenUp(e dsnEntry) (meaning, advice string) {
	rep := e.o.reply
	switch {
	case e.o.verdict.Category == "connection-lost-after-data":
		return "this mail system has given up, but the message may have been delivered: at the last attempt the connection broke off after the message's data was sent and before the server answered (the error above), and a server may deliver what it received before the break; if earlier attempts broke off the same way, the recipient may have it more than once",
			"ask the recipient whether the message arrived before you send it again; if the receiving server keeps breaking off after the data, its postmaster should find out why (RFC 5321 4.1.1.4: the server answers the final dot)"
	}
	last := " (the last attempt failed for the reason above)"
	if rep.Code != 0 && !rep.Local {
		last = " (the last attempt's answer is above)"
	}
	switch {
	case e.aged && len(e.handHolds) > 0:
		// Few attempts, for a reason dsn.Explain cannot know.
		return handHoldMeaning(e.handHolds, max(e.o.attempts, e.c.attempts, 1), last),
			"check the address; if it is right, send the message again: it was held, not refused, for much of its time; the postmaster of this mail system can say why it was held"
	case !e.aged:
		return fmt.Sprintf("this mail system made %d attempts, as many as its retry policy allows, and has given up: the message was not delivered%s", max(e.o.attempts, e.c.attempts, 1), last),
			"check the address; if it is right, the receiving side kept refusing it for now: send the message again later, or reach the recipient another way"
	}
	return "", ""
}

// ownSide returns the meaning and advice of a DSN for a recipient whose
// delivery failed on the relay's own side rather than the recipient's:
// the path's credentials, its AUTH or TLS set-up, its traffic shaping, or
// a smarthost path's server, the relay's own next hop, that cannot be
// reached or will not talk to it. dsn.Explain, which reads the status
// alone, would have the sender check the address, which no server judged;
// the operator of the relay is to fix it, and the category's reason and
// advice say what. Empty for any other failure.
func (r *Relay) ownSide(e dsnEntry, action string) (meaning, advice string) {
	rep, v := e.o.reply, e.o.verdict
	kind := r.ownSideKind(e)
	if kind == "" {
		return "", ""
	}
	delayed := action == dsn.ActionDelayed
	operator := "the operator of " + r.cfg.Hostname
	if kind == "shaping" {
		_, fix := shapingHold(rep)
		if srv := e.server; srv != nil {
			host := hostName(srv.host)
			hold := strings.TrimPrefix(rep.Text, "not tried: ")
			sv := r.verdict(srv.reply)
			switch {
			case delayed && strings.Contains(v.Reason, expiresUnsent):
				// The hold ends after the message's lifetime: "it is
				// sent when that hold ends" would be untrue.
				return "not delivered yet: the receiving server " + host + " answered the last attempt with the reply above (" + sv.Category + "), and this mail system's own traffic shaping now holds the message back (" + hold + ") until after the message's lifetime ends, so it will expire unsent",
					"nothing about the address; unless " + operator + " changes its shaping (" + fix + ") or gives its retry policy a longer max_age, the message expires unsent and you get another notice"
			case delayed:
				return "not delivered yet: the receiving server " + host + " answered the last attempt with the reply above (" + sv.Category + "), and this mail system's own traffic shaping now holds the message back (" + hold + "); it is sent when that hold ends",
					"nothing; this is only a warning"
			}
			return "nothing was delivered: the receiving server " + host + " answered the earlier attempts with the reply above (" + sv.Category + "), and this mail system's own traffic shaping then held the message back (" + hold + ") until it gave up",
				"nothing about the address; ask " + operator + " to " + fix + ", or to give its retry policy a longer max_age, then send the message again"
		}
		switch {
		case delayed && strings.Contains(v.Reason, expiresUnsent):
			return "nothing was sent yet: this mail system's own traffic shaping holds the message back, for the reason above, until after the message's lifetime ends",
				"nothing about the address; unless " + operator + " changes its shaping (" + fix + ") or gives its retry policy a longer max_age, the message expires unsent and you get another notice"
		case delayed:
			return "nothing was sent yet: this mail system's own traffic shaping holds the message back, for the reason above; it is sent when that hold ends",
				"nothing; this is only a warning"
		}
		return "nothing was sent, and not for anything about the recipient's address: this mail system's own traffic shaping held the message back, for the reason above, until it gave up",
			"nothing about the address; ask " + operator + " to " + fix + ", or to give its retry policy a longer max_age, then send the message again"
	}
	// The reason's first clause says what failed; the rest is for the
	// operator (what the relay did next).
	reason, _, _ := strings.Cut(v.Reason, ";")
	if reason == "" {
		reason = "see the reason above"
	}
	pathName := "its path " + e.o.path
	if e.o.path == "" {
		pathName = "its paths"
	}
	what := "this mail system's own " + strings.TrimPrefix(pathName, "its ") + " to the next server fails"
	if kind == "upstream" {
		what = "this mail system cannot hand the message to its own next hop, the smarthost of " + pathName
	}
	fix := fixOf(v.Advice)
	if fix == "" {
		fix = "read the reason above"
	}
	mustFix := "nothing about the address; " + operator + " must fix " + pathName + ": " + fix
	switch {
	case delayed:
		return "the message is not delivered yet, and not for anything about the recipient's address, which no server has judged: " + what + ": " + reason + "; this mail system tries again",
			mustFix + "; delivery is retried meanwhile"
	case e.expired:
		return "this mail system retried for as long as the message may wait, and has given up; nothing was delivered, and not for anything about the recipient's address, which no server judged: " + what + ": " + reason,
			mustFix + "; then send the message again"
	}
	return "nothing was delivered, and not for anything about the recipient's address: " + what + ": " + reason,
		mustFix + "; then send the message again"
}

// ownSideKind says whether e failed on the relay's own side: "path" for
// the set-up of its path (credentials, AUTH, TLS), "shaping" for its
// traffic shaping, "upstream" for a smarthost path's server that cannot
// be reached or refuses the relay at the greeting; "" when the failure is
// the receiving side's or the recipient's.
func (r *Relay) ownSideKind(e dsnEntry) string {
	switch e.o.verdict.Category {
	case "credentials-refused", "auth-not-offered", "tls-failure":
		return "path"
	case "shaping", "destination-backoff":
		if e.o.reply.Stage == "shaping" {
			return "shaping"
		}
	case "connection", "greeting-refused":
		// On an mx path the server is the recipient's domain's own.
		if p := r.paths[e.o.path]; p != nil && p.cfg.Type != "mx" && e.o.reply.Code/100 != 5 {
			return "upstream"
		}
	}
	return ""
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
