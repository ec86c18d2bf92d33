package probe

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/relaylab/relaylab/internal/events"
)

// Kinds of the events that say how the webhook's POSTs of a change
// ended, one event a change: the web's metrics count them by result, and
// a failure is seen where the log is not read (the UI's feed).
const (
	EventWebhookDelivered = events.ProbeWebhookDelivered // the receiver answered 2xx
	// EventWebhookFailed: the change was not posted and will not be
	// again: the receiver refused it (result refused), or every attempt
	// failed (result failed).
	EventWebhookFailed = events.ProbeWebhookFailed
)

// WebhookEvent is the payload of a probe.webhook_delivered or
// probe.webhook_failed event. Its target is the change's.
type WebhookEvent struct {
	ChangeID int64  `json:"change_id"`
	Key      string `json:"key"`
	Host     string `json:"host"`   // the receiver's host (and port) in probe.webhook.url
	Result   string `json:"result"` // delivered, refused or failed
	Attempts int    `json:"attempts"`
	// Status is the receiver's last HTTP status ("503 Service
	// Unavailable"), when it answered.
	Status string `json:"status,omitempty"`
	// Error is why the last attempt failed, the URL's path redacted.
	Error string `json:"error,omitempty"`
	// Reason and Advice, for a failure: what happened and what to do.
	Reason string `json:"reason,omitempty"`
	Advice string `json:"advice,omitempty"`
}

// event is the event that says how the POSTs of c ended.
func (w *webhook) event(c Change, d delivery) events.Event {
	p := WebhookEvent{ChangeID: c.ID, Key: c.Key, Host: webhookHost(w.cfg.URL), Result: d.state, Attempts: d.attempts, Status: d.status}
	if d.state == hookDelivered {
		return events.Event{Kind: EventWebhookDelivered, Target: c.Target}.WithPayload(p)
	}
	if d.err != nil {
		p.Error = d.err.Error()
	}
	what := fmt.Sprintf("change %d (%s)", c.ID, c.Key)
	const kept = "this change is not posted again (it stays in the event log as probe.changed, and on the Probes page); later changes are posted as they come"
	switch {
	case d.state == hookRefused && strings.HasPrefix(d.status, "3"):
		p.Reason = fmt.Sprintf("the webhook receiver at %s answered %s to %s: the probe does not follow redirects, so as not to post the change elsewhere", p.Host, d.status, what)
		p.Advice = "set probe.webhook.url to the URL the receiver redirects to; " + kept
	case d.state == hookRefused && d.status != "":
		p.Reason = fmt.Sprintf("the webhook receiver at %s refused %s with %s, an answer that posting it again would not change", p.Host, what, d.status)
		p.Advice = "check probe.webhook.url (its path) against the receiver's, and the receiver's log for why it refused; with probe.webhook.secret, that the receiver checks the signature with the same secret; " + kept
	case d.state == hookRefused:
		p.Reason = fmt.Sprintf("the webhook could not post %s to %s: %s", what, p.Host, p.Error)
		p.Advice = "check probe.webhook.url; " + kept
	case d.status != "":
		p.Reason = fmt.Sprintf("the webhook receiver at %s did not take %s in %d attempts: its last answer was %s", p.Host, what, d.attempts, d.status)
		p.Advice = "check that the receiver is up and answers a POST with a 2xx (the log has each attempt), or raise probe.webhook.attempts to wait out longer outages; " + kept
	default:
		p.Reason = fmt.Sprintf("the webhook got no answer from %s to %d attempts to post %s: %s", p.Host, d.attempts, what, p.Error)
		p.Advice = "check that the receiver runs and that this host can reach it (its name, port, a proxy or firewall on the way), or raise probe.webhook.attempts to wait out longer outages; " + kept
	}
	return events.Event{Kind: EventWebhookFailed, Target: c.Target}.WithPayload(p)
}

// webhookHost is the host (and port) of the webhook's URL, which the
// events show: its path and query may hold the receiver's secret.
func webhookHost(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "the configured URL"
}
