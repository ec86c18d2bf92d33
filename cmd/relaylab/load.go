package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/smtpload"
)

func init() {
	register(command{name: "load", summary: "generate SMTP load against a server and count its replies", run: runLoad})
}

const loadSynopsis = `--target HOST:PORT [flags]

Sends --messages messages over --sessions concurrent connections and prints
the rate and a table of the replies by stage ("rcpt 550 5.1.1: 120") and of
the connection errors by kind. In --to and --from, {n} is the message number
and {r} the recipient's index within its message. Exit status: 0 when every
message was accepted, 1 otherwise, 2 for bad flags.`

// maxLoadSize caps --size: the body is built once, in memory.
const maxLoadSize = 1 << 30

func runLoad(ctx context.Context, e *env, args []string) error {
	var cfg smtpload.Config
	var insecure, noPipeline, quiet bool
	fs := newFlags(e, "load", loadSynopsis)
	fs.StringVar(&cfg.Target, "target", "127.0.0.1:2525", "SMTP server as host:port")
	fs.IntVar(&cfg.Sessions, "sessions", 10, "concurrent connections")
	fs.IntVar(&cfg.Messages, "messages", 1000, "messages to send in all")
	fs.IntVar(&cfg.Size, "size", 4096, "approximate message size in bytes")
	fs.IntVar(&cfg.Rcpts, "rcpts", 1, "recipients per message")
	fs.IntVar(&cfg.Reuse, "reuse", 1, "messages per connection (1: a new connection per message, as smtp-source does; 0: unlimited)")
	fs.BoolVar(&cfg.StartTLS, "starttls", false, "upgrade each connection with STARTTLS")
	fs.BoolVar(&cfg.ImplicitTLS, "tls", false, "use TLS from the first byte (implicit TLS)")
	fs.BoolVar(&insecure, "insecure", false, "do not verify the server's certificate")
	fs.StringVar(&cfg.AuthUser, "auth-user", "", "authenticate as this user (AUTH PLAIN, or LOGIN)")
	fs.StringVar(&cfg.AuthPass, "auth-pass", "", "password for --auth-user")
	fs.StringVar(&cfg.Helo, "helo", "load.relaylab.test", "name to send in EHLO")
	fs.StringVar(&cfg.From, "from", "load@relaylab.test", "envelope sender ({n}: message number)")
	fs.StringVar(&cfg.To, "to", "user{n}@sink.test", "recipient pattern ({n}: message number, {r}: recipient index)")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "time allowed for each exchange with the server")
	fs.BoolVar(&noPipeline, "no-pipelining", false, "send MAIL, RCPT and DATA one by one even when the server offers PIPELINING")
	fs.BoolVar(&quiet, "quiet", false, "no progress output")
	fs.DurationVar(&cfg.GiveUp, "give-up", 5*time.Second, "end the run when every dial has failed for this long and no session holds a connection (the target died); 0: never")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; every option is a flag (--target HOST:PORT)", fs.Arg(0))
	}
	for _, f := range []struct {
		name     string
		v, least int
		want     string
	}{
		{"sessions", cfg.Sessions, 1, "1 or more concurrent connections"},
		{"messages", cfg.Messages, 1, "1 or more messages"},
		{"rcpts", cfg.Rcpts, 1, "1 or more recipients per message"},
		{"reuse", cfg.Reuse, 0, "0 (unlimited) or more messages per connection"},
		{"size", cfg.Size, 0, "0 or more bytes"},
	} {
		if err := flagAtLeast(f.name, f.v, f.least, f.want); err != nil {
			return err
		}
	}
	if err := flagAtLeast("timeout", cfg.Timeout, 1, "a positive time, such as 30s"); err != nil {
		return err
	}
	if err := flagAtLeast("give-up", cfg.GiveUp, 0, "0 (never) or a time, such as 5s"); err != nil {
		return err
	}
	if cfg.GiveUp == 0 {
		cfg.GiveUp = -1 // smtpload's "never"
	}
	// The patterns with {n} and {r} in them: those hold no space or bracket.
	if err := checkLoadPattern("from", cfg.From, "{n}"); err != nil {
		return err
	}
	if err := checkLoadPattern("to", cfg.To, "{n}", "{r}"); err != nil {
		return err
	}
	if cfg.Size > maxLoadSize {
		return usageError("--size %d: at most %d (1 GiB); every session sends the same body, held in memory", cfg.Size, maxLoadSize)
	}
	if cfg.StartTLS && cfg.ImplicitTLS {
		return usageError("--starttls and --tls exclude each other")
	}
	host, _, err := net.SplitHostPort(cfg.Target)
	if err != nil {
		return usageError("--target %q: %v; give host:port", cfg.Target, err)
	}
	cfg.TLS = &tls.Config{InsecureSkipVerify: insecure, ServerName: host}
	cfg.Pipeline = !noPipeline
	cfg.Clock = clock.Real{}
	var done atomic.Int64
	cfg.Done = &done

	targetGiven := false
	fs.Visit(func(f *flag.Flag) { targetGiven = targetGiven || f.Name == "target" })
	fmt.Fprintln(e.stdout, loadTargetLine(cfg.Target, targetGiven, cfg.Messages, min(cfg.Sessions, cfg.Messages)))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	if !quiet {
		wg.Add(1)
		go func() {
			defer wg.Done()
			progress(e, cfg.Clock, &done, cfg.Messages, stop)
		}()
	}
	res, err := smtpload.Run(ctx, cfg)
	close(stop)
	wg.Wait()
	if err != nil {
		return usageError("%v", err)
	}
	// "Tried", not "sent": a message whose connection was refused or
	// broke never reached the server; the table says what happened.
	fmt.Fprintf(e.stdout, "tried %d messages on %s over %d sessions: %d accepted in %s, %.1f msgs/s\n",
		res.Attempted, cfg.Target, res.Sessions, res.Accepted, res.Wall.Round(time.Millisecond), res.Rate())
	res.Table(e.stdout)
	if res.GaveUp != "" {
		fmt.Fprintf(e.stdout, "stopped early: %s (--give-up)\n", res.GaveUp)
	}
	if res.Accepted != cfg.Messages {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d messages were not accepted (see the table above)", cfg.Messages-res.Accepted, cfg.Messages)}
	}
	return nil
}

// progress shows how far the run is: a bar redrawn in place when stderr is
// a terminal, a plain line every few seconds otherwise.
func progress(e *env, clk clock.Clock, done *atomic.Int64, total int, stop <-chan struct{}) {
	tty := false
	if f, ok := e.stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	interval := 5 * time.Second
	if tty {
		interval = 200 * time.Millisecond
	}
	start := clk.Now()
	t := clk.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			if tty {
				drawBar(e.stderr, int(done.Load()), total, clk.Now().Sub(start))
				fmt.Fprintln(e.stderr)
			} else {
				plainProgress(e.stderr, int(done.Load()), total, clk.Now().Sub(start))
			}
			return
		case <-t.C():
			n := int(done.Load())
			if tty {
				drawBar(e.stderr, n, total, clk.Now().Sub(start))
			} else {
				plainProgress(e.stderr, n, total, clk.Now().Sub(start))
			}
			t.Reset(interval)
		}
	}
}

func plainProgress(w io.Writer, n, total int, elapsed time.Duration) {
	fmt.Fprintf(w, "load: %d/%d messages (%.0f%%) after %s\n", n, total, 100*float64(n)/float64(total), elapsed.Round(time.Millisecond))
}

func drawBar(w io.Writer, n, total int, elapsed time.Duration) {
	const width = 40
	filled := width * n / max(total, 1)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(n) / elapsed.Seconds()
	}
	fmt.Fprintf(w, "\r[%s%s] %d/%d %.0f msgs/s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), n, total, rate)
}
