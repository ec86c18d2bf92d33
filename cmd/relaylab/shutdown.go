package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// A daemon (serve, sink, relay) stops on SIGINT or SIGTERM: its listeners
// close and the work in progress may finish for up to --shutdown-grace.
// A second signal stops at once, as common daemons do; what is cut then
// is what the grace running out would cut. Either way the log says, in one
// record, which parts had work left and what becomes of it, and the
// command exits 0: nothing acknowledged with 250 is lost, and what was cut
// is tried again (by the client, or by the relay at its next start).

// stopContext bounds a graceful stop by --shutdown-grace, and ends it at
// once when a second signal comes (e.again), saying so in the log.
func (d daemonFlags) stopContext(e *env, log *slog.Logger) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), *d.grace)
	go func() {
		select {
		case s := <-e.again:
			log.Warn(fmt.Sprintf("second signal (%v): stopping now, without waiting for the rest of --shutdown-grace %s", s, config.FormatDuration(*d.grace)), "signal", s.String())
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// shuttingDown logs the start of a stop.
func shuttingDown(log *slog.Logger, grace time.Duration) {
	log.Info("shutting down: work in progress may finish for --shutdown-grace; a second SIGINT or SIGTERM stops at once", "grace", grace)
}

// stopped is how stopping one part of a daemon ended.
type stopped struct {
	name string // sink, relay, web, probe, ...
	err  error
}

// stopOutcome logs, as one record, the parts whose stop the grace or a
// second signal cut short, and what becomes of their work; it returns the
// other errors, which are failures.
func stopOutcome(log *slog.Logger, grace time.Duration, outs []stopped) error {
	_, err := stopOutcomeCut(log, grace, outs)
	return err
}

// stopOutcomeCut is stopOutcome, and reports whether a part was cut.
func stopOutcomeCut(log *slog.Logger, grace time.Duration, outs []stopped) (bool, error) {
	var cut, words []string
	second := false
	var rest []error
	for _, o := range outs {
		var ce *cutError
		switch {
		case o.err == nil:
		case errors.Is(o.err, context.DeadlineExceeded) || errors.Is(o.err, context.Canceled):
			second = second || errors.Is(o.err, context.Canceled)
			cut = append(cut, o.name)
			if errors.As(o.err, &ce) {
				words = append(words, ce.words)
			} else {
				words = append(words, cutWork(o.name))
			}
		default:
			rest = append(rest, fmt.Errorf("%s: %w", o.name, o.err))
		}
	}
	if len(cut) > 0 {
		why := fmt.Sprintf("--shutdown-grace %s ran out", config.FormatDuration(grace))
		if second {
			why = "a second signal stopped it"
		}
		log.Warn(fmt.Sprintf("stopped with work in progress (%s): %s; nothing acknowledged with 250 is lost", why, strings.Join(words, "; ")),
			"grace", grace, "cut", strings.Join(cut, ","))
	}
	return len(cut) > 0, errors.Join(rest...)
}

// cutWork says what becomes of the work of part name that a stop cut.
func cutWork(name string) string {
	switch name {
	case "sink":
		return "the sink closed its open sessions, whose clients send again later (a message it had not answered 250 to is not recorded)"
	case "relay":
		return "the relay's deliveries in progress stay queued and are tried again at its next start, and its open submission sessions were closed (their clients send again)"
	case "web":
		return "the web UI's open requests and live feeds were cut"
	case "probe":
		return "the probe run in progress was stopped; the watchlist is probed again at the next start"
	}
	return name + " was stopped before it finished"
}
