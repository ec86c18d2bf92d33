package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/relay"
)

// demoRecipients cycle through the sink's behaviours: directives in the
// address and the provider profiles, so that the UI shows deliveries,
// deferrals, bounces and their explanations.
var demoRecipients = []string{
	"alice@example.test",
	"defer1+bob@example.test",
	"rcpt550+carol@example.test",
	"greylist30s+dave@example.test",
	"bounce1m+erin@example.test",
	"nosuchuser@gmail.test",
	"deferred@yahoo.test",
	"blocked+grace@outlook.test",
	"full+heidi@example.test",
	"dotdropx1+ivan@example.test",
	"delay3s+judy@example.test",
}

// demoRetry makes deferred demo mail come back within a minute or two.
func demoRetry() relay.RetryConfig {
	return relay.RetryConfig{
		Kind:     "list",
		Schedule: []config.Duration{config.Duration(20 * time.Second), config.Duration(40 * time.Second), config.Duration(time.Minute)},
		MaxAge:   config.Duration(5 * time.Minute),
	}
}

// runDemo submits one sample message every interval until ctx ends.
func runDemo(ctx context.Context, rl *relay.Relay, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 0; ; n++ {
		to := demoRecipients[n%len(demoRecipients)]
		body := fmt.Sprintf("From: Demo Shop <news@shop.test>\r\nTo: <%s>\r\nSubject: relaylab demo message %d\r\n"+
			"Date: %s\r\nMessage-ID: <demo-%d-%d@relaylab.localhost>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
			"This sample message was sent by relaylab serve --demo to %s.\r\n", to, n+1, time.Now().Format(time.RFC1123Z), time.Now().UnixNano(), n, to)
		_, err := rl.Enqueue(ctx, relay.Submission{From: "news@shop.test", Recipients: []relay.Recipient{{Address: to}}, Data: []byte(body), Client: "demo"})
		if err != nil && ctx.Err() == nil {
			log.Warn("demo: enqueue failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
