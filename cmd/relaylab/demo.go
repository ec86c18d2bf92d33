package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/relay"
)

// demoRecipients cycle through the sink's behaviours: directives in the
// address and the provider profiles, so that the UI shows deliveries,
// deferrals, bounces and their explanations. Each round through them
// tags every address but the last bounce's (demoTagged) with a piece of
// its own, since the sink counts a directive's attempts across sessions
// and restarts, and the relay suppresses an address that bounced: with
// the same addresses every round, defer1 and greylist30s were used up
// after the first, and the bounces were only "suppressed" after it.
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

// demoKept is the demo address that keeps its spelling every round, so
// that the feed shows the relay's suppression list at work (from the
// second round on, its mail is suppressed, not sent).
const demoKept = "nosuchuser@gmail.test"

// demoTagged is demoRecipients' address to in the round tagged tag: the
// tag as one more piece of its local part (a plain name to the sink),
// so that the round's directives start their counts afresh.
func demoTagged(to, tag string) string {
	if to == demoKept {
		return to
	}
	local, domain, _ := strings.Cut(to, "@")
	return local + "+" + tag + "@" + domain
}

// demoTag names a round by its start, to the second: a letter and digits,
// which no directive or near miss starts like, and new after a restart.
func demoTag(t time.Time) string { return "r" + t.UTC().Format("0102150405") }

// runDemo submits one sample message every interval until ctx ends.
func runDemo(ctx context.Context, rl *relay.Relay, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	tag := ""
	for n := 0; ; n++ {
		if n%len(demoRecipients) == 0 {
			tag = demoTag(time.Now())
		}
		to := demoTagged(demoRecipients[n%len(demoRecipients)], tag)
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
