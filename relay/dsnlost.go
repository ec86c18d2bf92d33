package relay

import "fmt"

// lostDSN marks the payload of the bounce, expiry or suppression of
// recipient c as the loss of a DSN when c is the recipient of one of the
// relay's own DSNs: that DSN went out with the null reverse path, and none
// is written about it (RFC 5321 4.5.5, 6.1: no notification about a
// notification), so the sender of the message it reports on is not told,
// and the event says so beside why the DSN failed (dsn_undelivered, and
// the reason's end). Before, such a DSN ended with its dsn_for alone, and
// read as any other bounce.
func lostDSN(payload map[string]any, c claimed) {
	if c.dsnFor == "" {
		return
	}
	payload["dsn_undelivered"] = true
	reason, _ := payload["reason"].(string)
	payload["reason"] = reason + "; " + lostDSNText(c)
}

// lostDSNText says what the loss of the DSN to c means.
func lostDSNText(c claimed) string {
	return fmt.Sprintf("this was the relay's DSN about message %s to its sender %s, and no DSN is written about a DSN (RFC 5321 4.5.5), so that sender is not told what became of %s", c.dsnFor, c.address, c.dsnFor)
}

// logLostDSNs warns of each of the relay's own DSNs among lines that
// bounced or expired (warnLostDSN).
func (r *Relay) logLostDSNs(j *job, results []result, lines []outcomeLine) {
	for _, l := range lines {
		if !l.dsnLost {
			continue
		}
		c, res := j.rcpts[l.rcpt], results[l.rcpt]
		detail := []any{"reply", res.reply.String(), "category", res.verdict.Category}
		if res.path != "" {
			detail = append(detail, "path", res.path)
		}
		r.warnLostDSN(c, l.state, detail...)
	}
}

// warnLostDSN logs a warning that the relay's DSN to c ended in state
// (bounced, expired, suppressed) undelivered, with detail (its reply):
// the relay cannot tell its sender any other way, so the operator is
// told, whatever the log level lets through of the outcome lines.
func (r *Relay) warnLostDSN(c claimed, state string, detail ...any) {
	args := append([]any{"id", c.msgID, "dsn_for", c.dsnFor, "to", c.address, "state", state}, detail...)
	args = append(args, "advice", fmt.Sprintf("`relaylab queue show %s` shows what became of that message: tell its sender another way; if the reply is about this relay's own path (its TLS, its credentials, a server it cannot reach), fix the path so that later DSNs get through", c.dsnFor))
	r.log.Warn("relay: a DSN could not be delivered, so the sender of the message it reports on is not told (no DSN is written about a DSN, RFC 5321 4.5.5)", args...)
}
