package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/relaylab/relaylab/internal/clock"
)

// WebhookPayload is the JSON body POSTed for each change.
type WebhookPayload struct {
	Event  string `json:"event"` // "probe.changed"
	Change Change `json:"change"`
}

// webhook delivers changes one at a time, in order, retrying with a
// doubling backoff on the clock. Its queue is bounded: when the receiver is
// down for long, the oldest undelivered changes stay in the store (and the
// event log) but are not posted.
type webhook struct {
	cfg    WebhookConfig
	client *http.Client
	clock  clock.Clock
	log    *slog.Logger
	queue  chan Change
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

func newWebhook(cfg WebhookConfig, client *http.Client, c clock.Clock, log *slog.Logger) *webhook {
	return &webhook{cfg: cfg, client: client, clock: c, log: log, queue: make(chan Change, 1024)}
}

func (w *webhook) enqueue(c Change) {
	select {
	case w.queue <- c:
	default:
		w.log.Warn("webhook queue full; change not posted (it is in the event log)", "key", c.Key, "kind", c.Kind)
	}
}

func (w *webhook) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-w.queue:
			w.deliver(ctx, c)
		}
	}
}

// deliver POSTs one change until a 2xx reply, a 4xx other than 408 and 429
// (the receiver refuses it: retrying will not help), or the attempts run out.
func (w *webhook) deliver(ctx context.Context, c Change) {
	body, _ := json.Marshal(WebhookPayload{Event: "probe.changed", Change: c})
	delay := w.cfg.Backoff.D()
	for attempt := 1; attempt <= w.cfg.Attempts; attempt++ {
		retry, err := w.post(ctx, body)
		if err == nil {
			w.log.Info("webhook delivered", "key", c.Key, "kind", c.Kind, "attempt", attempt)
			return
		}
		if !retry || attempt == w.cfg.Attempts {
			w.log.Error("webhook delivery failed; giving up (the change is in the event log)", "url", RedactURL(w.cfg.URL), "key", c.Key, "attempts", attempt, "err", err)
			return
		}
		w.log.Warn("webhook delivery failed; retrying", "url", RedactURL(w.cfg.URL), "attempt", attempt, "in", delay, "err", err)
		if clock.Sleep(ctx, w.clock, delay) != nil {
			return
		}
		delay *= 2
	}
}

// post POSTs body once. Its errors name the receiver by RedactURL: the
// URL's path may hold the receiver's secret, and errors are logged.
func (w *webhook) post(ctx context.Context, body []byte) (retry bool, err error) {
	shown := RedactURL(w.cfg.URL)
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout.D())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("%s: %w", shown, hideURL(err, shown))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "relaylab-probe")
	resp, err := w.client.Do(req)
	if err != nil {
		return true, hideURL(err, shown)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("%s answered %s", shown, resp.Status)
	default:
		return false, fmt.Errorf("%s answered %s", shown, resp.Status)
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
