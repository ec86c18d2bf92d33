package probe

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
)

// WebhookPayload is the JSON body POSTed for each change.
type WebhookPayload struct {
	Event string `json:"event"` // "probe.changed"
	// Sent is when this attempt was posted (a retry has its own), the
	// instant X-Relaylab-Timestamp gives in Unix seconds: with a secret,
	// the signature covers it, so that a receiver can refuse an old
	// post replayed.
	Sent   time.Time `json:"sent"`
	Change Change    `json:"change"`
}

// Webhook headers.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// exact body under probe.webhook.secret (WebhookSignature), when a
	// secret is set.
	SignatureHeader = "X-Relaylab-Signature"
	// TimestampHeader carries the body's sent, in Unix seconds.
	TimestampHeader = "X-Relaylab-Timestamp"
)

// WebhookSignature is the value of SignatureHeader for body under secret:
// "sha256=" and the hex HMAC-SHA256 of the body's exact bytes. A receiver
// computes it over the body it read and compares the two in constant
// time (hmac.Equal).
func WebhookSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// newWebhookClient returns the webhook's HTTP client. The receiver is not
// what the probe checks: its name is resolved as any HTTP client resolves
// it (net.Dialer, the system's resolver) and the environment's proxy
// settings apply, whereas probe.resolvers are the monitored servers (the
// MTA-STS policy host is resolved through them, as part of the check).
// Redirects are not followed: a POST is not re-sent elsewhere.
func newWebhookClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Webhook states of a stored change (probe_changes.webhook).
const (
	hookNone      = ""          // no webhook was configured when it was recorded
	hookPending   = "pending"   // not posted yet: posted at the next chance, after a restart too
	hookDelivered = "delivered" // the receiver answered 2xx
	hookRefused   = "refused"   // the receiver answered a 4xx other than 408 and 429
	hookFailed    = "failed"    // the attempts ran out
)

// webhook posts the changes that wait for it, one at a time, oldest
// first, retrying each with a doubling backoff on the clock. The changes
// wait in the store (probe_changes.webhook), not in memory: a receiver
// that is away for long holds up no more than a row each, and a change
// not yet posted at shutdown is posted after the restart, before any
// newer one.
type webhook struct {
	cfg    WebhookConfig
	client *http.Client
	st     *store.Store
	clock  clock.Clock
	log    *slog.Logger
	wake   chan struct{} // there may be new changes to post
}

func newWebhook(cfg WebhookConfig, client *http.Client, st *store.Store, c clock.Clock, log *slog.Logger) *webhook {
	return &webhook{cfg: cfg, client: client, st: st, clock: c, log: log, wake: make(chan struct{}, 1)}
}

// notify tells run that changes were recorded; it never blocks.
func (w *webhook) notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run posts the waiting changes, then each new one, until ctx ends; it
// then logs how many still wait.
func (w *webhook) run(ctx context.Context) {
	defer w.logWaiting(ctx)
	for {
		if err := w.drain(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("webhook: the changes to post could not be read or marked; trying again after the next check", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
	}
}

// drain posts the waiting changes in order until none is left or ctx ends.
func (w *webhook) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		next, err := scanChanges(w.st.DB().QueryContext(ctx, `SELECT `+changeCols+` FROM `+changeFrom+`
			WHERE c.webhook = ? ORDER BY c.id LIMIT 1`, hookPending))
		if err != nil || len(next) == 0 {
			return err
		}
		c := next[0]
		d := w.deliver(ctx, c)
		if d.state == hookPending {
			return nil // ctx ended: it is posted at the next start
		}
		// Marked even when ctx has just ended: a change posted is not
		// posted again at the next start. The event says how it ended
		// where the log does not reach: the web UI, the metrics.
		err = w.st.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			if _, err := tx.Exec(`UPDATE probe_changes SET webhook = ?, webhook_ns = ? WHERE id = ?`, d.state, w.clock.Now().UnixNano(), c.ID); err != nil {
				return err
			}
			_, err := tx.Append(w.event(c, d))
			return err
		})
		if err != nil {
			return fmt.Errorf("marking change %d %s: %w", c.ID, d.state, err)
		}
	}
	return nil
}

// logWaiting logs, at shutdown, how many changes were not posted yet.
func (w *webhook) logWaiting(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	n, err := pendingChanges(ctx, w.st)
	switch {
	case err != nil:
		w.log.Warn("webhook stopped; the changes not yet posted could not be counted (they are posted at the next start)", "err", err)
	case n > 0:
		w.log.Warn("webhook stopped with changes not yet posted; they are posted at the next start, oldest first", "count", n, "url", config.RedactURL(w.cfg.URL))
	}
}

// pendingChanges counts the changes that wait for the webhook.
func pendingChanges(ctx context.Context, st *store.Store) (int, error) {
	var n int
	err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM probe_changes WHERE webhook = ?`, hookPending).Scan(&n)
	return n, err
}

// delivery is how the POSTs of one change ended.
type delivery struct {
	state    string // hookDelivered, hookRefused or hookFailed; hookPending when ctx ended first
	attempts int
	status   string // the receiver's last HTTP status ("503 Service Unavailable"), "" when it gave none
	err      error  // the last attempt's, when it failed
}

// deliver POSTs one change until a 2xx reply (delivered), a 4xx other
// than 408 and 429 (refused: retrying will not help), or the attempts run
// out (failed). Its state is hookPending when ctx ended first.
func (w *webhook) deliver(ctx context.Context, c Change) delivery {
	delay := w.cfg.Backoff.D()
	var d delivery
	for attempt := 1; attempt <= w.cfg.Attempts; attempt++ {
		sent := w.clock.Now().UTC()
		body, _ := json.Marshal(WebhookPayload{Event: "probe.changed", Sent: sent, Change: c})
		var retry bool
		d.attempts = attempt
		d.status, retry, d.err = w.post(ctx, body, sent)
		switch {
		case d.err == nil:
			w.log.Info("webhook delivered", "id", c.ID, "key", c.Key, "kind", c.Kind, "attempt", attempt)
			d.state = hookDelivered
			return d
		case ctx.Err() != nil:
			d.state = hookPending
			return d
		case !retry:
			w.log.Error("webhook refused the change; not posting it again (it is in the event log)", "url", config.RedactURL(w.cfg.URL), "id", c.ID, "key", c.Key, "err", d.err)
			d.state = hookRefused
			return d
		case attempt == w.cfg.Attempts:
			w.log.Error("webhook delivery failed; giving up on this change and posting the next (it is in the event log)", "url", config.RedactURL(w.cfg.URL), "id", c.ID, "key", c.Key, "attempts", attempt, "err", d.err)
			d.state = hookFailed
			return d
		}
		w.log.Warn("webhook delivery failed; retrying", "url", config.RedactURL(w.cfg.URL), "id", c.ID, "attempt", attempt, "in", delay, "err", d.err)
		if clock.Sleep(ctx, w.clock, delay) != nil {
			d.state = hookPending
			return d
		}
		delay *= 2
	}
	d.state = hookFailed
	return d
}

// post POSTs body once; status is the receiver's HTTP status when it
// answered. Its errors name the receiver by config.RedactURL: the URL's
// path may hold the receiver's secret, and errors are logged and stored.
func (w *webhook) post(ctx context.Context, body []byte, sent time.Time) (status string, retry bool, err error) {
	shown := config.RedactURL(w.cfg.URL)
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout.D())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", shown, hideURL(err, shown))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "relaylab-probe")
	req.Header.Set(TimestampHeader, strconv.FormatInt(sent.Unix(), 10))
	if w.cfg.Secret != "" {
		req.Header.Set(SignatureHeader, WebhookSignature(w.cfg.Secret, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return "", true, hideURL(err, shown)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.Status, false, nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return resp.Status, true, fmt.Errorf("%s answered %s", shown, resp.Status)
	default:
		return resp.Status, false, fmt.Errorf("%s answered %s", shown, resp.Status)
	}
}

// hideURL puts shown in place of the URL that the HTTP client's errors
// (*url.Error: Post "URL": ...) quote in full.
func hideURL(err error, shown string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = shown
	}
	return err
}
