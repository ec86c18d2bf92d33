package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/smtpload"
	"github.com/relaylab/relaylab/sink"
)

func init() {
	register(command{name: "load", summary: "generate SMTP load against a server and count its replies", run: runLoad})
}

const loadSynopsis = `[--target HOST:PORT|unix:/PATH] [--lmtp] [--sessions N] [--messages N] [flags]

Sends --messages messages over --sessions concurrent connections (or,
with --duration, for that long) and prints what became of them
(accepted, refused, failed), the recipients accepted and refused, the
latencies, the rate of accepted messages and a table of the replies by
stage ("rcpt 550 5.1.1: 120") and of the connection errors by kind;
--json prints the same as one JSON object. In --to and --from, {n} is
the message number and {r} the recipient's index within its message.
Ctrl-C ends the run with its summary. A message whose final dot was sent
and whose reply never came (a timeout, a hang-up, Ctrl-C) is tried with
its fate unknown: the server may have delivered it. With --auth-user and
no --auth-pass, the password is read from the environment variable
RELAYLAB_AUTH_PASS. MAIL FROM carries SIZE=, BODY=8BITMIME and SMTPUTF8
where the message needs them and the server offers them, as send's does.
--target unix:/path dials a unix-domain socket. --lmtp speaks LMTP (RFC
2033) to a delivery agent (Dovecot, Cyrus) or a local MTA: LHLO instead
of EHLO, and after the final dot one reply per recipient accepted at
RCPT, each counted in the table and under "recipients at the final dot";
a message taken for some recipients and refused for others counts as
accepted for only some. Exit status: 0 when every message tried was
accepted for every recipient; 5 when the server refused something with a
permanent (5xx) reply, 4 with temporary (4xx) replies only (a message
accepted for some of its recipients counts); else 130 when interrupted;
else 1 when messages were lost to connection, TLS or protocol errors or
are of unknown fate, or the run gave up (--give-up); 2 for bad flags.`

// rateUnits are the units --rate takes after a slash, in seconds.
var rateUnits = map[string]float64{"s": 1, "m": 60, "h": 3600}

// parseRate reads --rate as messages a second: N (a second), N/s, N/m (a
// minute) or N/h (an hour), N a positive number.
func parseRate(v string) (float64, error) {
	num, unit, slash := strings.Cut(strings.TrimSpace(v), "/")
	per := 1.0
	if slash {
		var ok bool
		if per, ok = rateUnits[strings.TrimSpace(unit)]; !ok {
			return 0, errors.New("want N/s, N/m or N/h (messages a second, a minute or an hour), or N alone for a second, such as 100, 600/m or 5000/h")
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, errors.New("want a positive number of messages, alone (a second) or with /s, /m or /h, such as 100, 600/m or 5000/h")
	}
	return n / per, nil
}

// Exit status of an interrupted load, as shells give a command ended by
// SIGINT (128+2).
const exitInterrupted = 130

// maxLoadSize caps --size: the body is built once, in memory.
const maxLoadSize = 1 << 30

func runLoad(ctx context.Context, e *env, args []string) error {
	var cfg smtpload.Config
	var insecure, noPipeline, quiet, asJSON bool
	var rate string
	fs := newFlags(e, "load", loadSynopsis)
	fs.StringVar(&cfg.Target, "target", "127.0.0.1:2525", "SMTP (or LMTP) server as host:port, or a unix-domain socket as unix:/path")
	server := fs.String("server", "", "the same as --target, as send and swaks name it")
	fs.IntVar(&cfg.Sessions, "sessions", 10, "concurrent connections")
	fs.IntVar(&cfg.Messages, "messages", 1000, "messages to send in all")
	cfg.Size = 4096
	fs.Func("size", "size of each message's body, not the whole message: octets, or with a unit as a sink rule's size: has it (10KB, 1MiB), rounded up to whole lines of 78 octets; the header adds about 250 (default 4096)", func(v string) error {
		n, err := sink.ParseSize(v)
		switch {
		case err != nil:
			// The flag's error names the value already.
			return errors.New(strings.TrimPrefix(err.Error(), strconv.Quote(v)+": "))
		case n > math.MaxInt32:
			return fmt.Errorf("%s is over the 2 GiB a message of load can be", v)
		}
		cfg.Size = int(n)
		return nil
	})
	fs.IntVar(&cfg.Rcpts, "rcpts", 1, "recipients per message")
	fs.IntVar(&cfg.Reuse, "reuse", 1, "messages per connection (1: a new connection per message, as smtp-source does; 0: unlimited)")
	fs.BoolVar(&cfg.StartTLS, "starttls", false, "upgrade each connection with STARTTLS")
	fs.BoolVar(&cfg.ImplicitTLS, "tls", false, "use TLS from the first byte (implicit TLS; swaks' --tls, which is STARTTLS, is --starttls here)")
	fs.BoolVar(&insecure, "insecure", false, "do not verify the server's certificate (with --starttls or --tls; the sink's is self-signed)")
	fs.StringVar(&cfg.AuthUser, "auth-user", "", "authenticate as this user (AUTH PLAIN, or LOGIN)")
	fs.StringVar(&cfg.AuthPass, "auth-pass", "", "password for --auth-user (default: the environment variable "+authPassEnv+")")
	fs.StringVar(&cfg.AuthMech, "auth-mech", "", "AUTH mechanism, PLAIN or LOGIN (default: PLAIN when offered, else LOGIN)")
	fs.StringVar(&cfg.Helo, "helo", "load.relaylab.test", "name to send in EHLO (LHLO with --lmtp)")
	fs.StringVar(&cfg.From, "from", "load@relaylab.test", "envelope sender ({n}: message number)")
	fs.StringVar(&cfg.To, "to", defaultLoadTo, "recipient pattern ({n}: message number, {r}: recipient index; with --rcpts over 1, --to needs {r} and its default is "+defaultLoadToEach+")")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "time allowed for each exchange with the server")
	fs.BoolVar(&cfg.LMTP, "lmtp", false, "speak LMTP (RFC 2033), as to Dovecot's or Cyrus' LMTP service: LHLO, and one reply per recipient after the final dot; needs --target")
	fs.BoolVar(&noPipeline, "no-pipelining", false, "send MAIL, RCPT and DATA one by one even when the server offers PIPELINING")
	fs.BoolVar(&quiet, "quiet", false, "no progress output")
	fs.DurationVar(&cfg.GiveUp, "give-up", 5*time.Second, "end the run when every dial has failed for this long and no session holds a connection (the target died), or when sessions in a row (20 with 10 --sessions) all failed before a message (no greeting, AUTH refused, certificate not trusted); 0: never")
	fs.DurationVar(&cfg.Duration, "duration", 0, "send for this long, then let the messages in flight finish (without --messages: no message limit)")
	fs.StringVar(&rate, "rate", "", "at most this many messages across all sessions: N or N/s a second, N/m a minute, N/h an hour (default: as fast as the server answers)")
	fs.BoolVar(&asJSON, "json", false, "print the summary as one JSON object (progress still goes to stderr)")
	var headers multiFlag
	fs.Var(&headers, "header", `extra or replacing header field "Name: value" of every message (repeatable; {n} in the value is the message number; one named From, To, Subject, Message-ID, Date, MIME-Version or Content-Type replaces the built one)`)
	dataFile := fs.String("data", "", "send this file as every message, a whole RFC 5322 message (- for standard input), in place of the built one: line ends become CRLF and leading dots are doubled, and its Message-ID is replaced by each message's own")
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
	if err := flagAtLeast("duration", cfg.Duration, 0, "a time, such as 10m"); err != nil {
		return err
	}
	if rate != "" {
		n, err := parseRate(rate)
		if err != nil {
			return usageError("--rate %q: %v", rate, err)
		}
		cfg.Rate = n
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["server"] {
		if set["target"] {
			return usageError("--server and --target name the same server: give one")
		}
		cfg.Target = *server
	}
	targetFlag := "target"
	if set["server"] {
		targetFlag = "server"
	}
	if err := checkAuthFlags("load", &cfg.AuthPass, cfg.AuthUser, cfg.AuthMech, set["auth-pass"]); err != nil {
		return err
	}
	messagesGiven := set["messages"]
	if cfg.Duration > 0 && !messagesGiven {
		cfg.Messages = 0 // smtpload: no limit but the duration
	}
	// The patterns with {n} and {r} in them: those hold no space or bracket.
	if err := checkLoadPattern("from", cfg.From, "{n}"); err != nil {
		return err
	}
	if err := checkLoadPattern("to", cfg.To, "{n}", "{r}"); err != nil {
		return err
	}
	to, err := loadRecipients(cfg.To, set["to"], cfg.Rcpts)
	if err != nil {
		return err
	}
	cfg.To = to
	if err := checkHeaderFlags(headers); err != nil {
		return err
	}
	cfg.Headers = headers
	if *dataFile != "" {
		if err := loadData(e, &cfg, *dataFile, set); err != nil {
			return err
		}
	}
	if cfg.Size > maxLoadSize {
		return usageError("--size %d: at most %d (1 GiB); every session sends the same body, held in memory", cfg.Size, maxLoadSize)
	}
	if cfg.StartTLS && cfg.ImplicitTLS {
		return usageError("--starttls and --tls exclude each other")
	}
	host, err := checkLoadTarget(targetFlag, cfg)
	if err != nil {
		return err
	}
	if cfg.LMTP && !set["target"] && !set["server"] {
		return usageError("--lmtp needs --target: the default, 127.0.0.1:2525, is relaylab's sink, which speaks SMTP, not LMTP; give the LMTP service's host:port or unix:/path")
	}
	cfg.TLS = &tls.Config{InsecureSkipVerify: insecure, ServerName: host}
	cfg.Pipeline = !noPipeline
	cfg.Clock = clock.Real{}
	var done atomic.Int64
	cfg.Done = &done

	targetGiven := set["target"] || set["server"]
	head := e.stdout
	if asJSON {
		head = e.stderr // stdout holds the JSON alone
	}
	fmt.Fprintln(head, loadTargetLine(cfg.Target, targetGiven, cfg.Messages, cfg.Sessions, cfg.Duration))

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
	code, why := loadExit(res, asJSON)
	if asJSON {
		if err := writeLoadJSON(e.stdout, cfg, res, code); err != nil {
			return err
		}
	} else {
		writeLoadSummary(e.stdout, cfg, res)
	}
	if code != 0 {
		return &exitError{code: code, err: why}
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

// The progress counts messages tried (accepted or not); the summary's
// rate counts the accepted ones, and each says which.
func plainProgress(w io.Writer, n, total int, elapsed time.Duration) {
	if total <= 0 { // --duration without --messages
		fmt.Fprintf(w, "load: %d messages tried after %s\n", n, elapsed.Round(time.Millisecond))
		return
	}
	fmt.Fprintf(w, "load: %d/%d messages tried (%.0f%%) after %s\n", n, total, 100*float64(n)/float64(total), elapsed.Round(time.Millisecond))
}

func drawBar(w io.Writer, n, total int, elapsed time.Duration) {
	const width = 40
	rate := 0.0
	if elapsed > 0 {
		rate = float64(n) / elapsed.Seconds()
	}
	if total <= 0 {
		fmt.Fprintf(w, "\r%d tried in %s, %.0f tried/s ", n, elapsed.Round(time.Second), rate)
		return
	}
	filled := min(width*n/total, width)
	fmt.Fprintf(w, "\r[%s%s] %d/%d tried, %.0f tried/s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), n, total, rate)
}

// writeLoadSummary prints what became of the messages and recipients, the
// latencies, the table of replies, and why the run ended early if it did,
// with what each refusal or failure means.
func writeLoadSummary(w io.Writer, cfg smtpload.Config, res *smtpload.Result) {
	// "Tried", not "sent": a message whose connection was refused or
	// broke never reached the server; the table says what happened.
	accepted := fmt.Sprintf("%d accepted", res.Accepted)
	if res.Partial > 0 {
		accepted += fmt.Sprintf(" (%d of them for only some of their recipients)", res.Partial)
	}
	failed := fmt.Sprintf("%d failed", res.Failed)
	if res.Unknown > 0 {
		failed += fmt.Sprintf(", %d fate unknown", res.Unknown)
	}
	fmt.Fprintf(w, "tried %s on %s over %s in %s: %s, %d refused, %s; %.1f accepted msgs/s\n",
		countOf(res.Attempted, "message", "messages"), cfg.Target, countOf(res.Sessions, "session", "sessions"), res.Wall.Round(time.Millisecond),
		accepted, res.Refused, failed, res.Rate())
	switch {
	case res.Dials > 0 && res.Connected == 0:
		fmt.Fprintf(w, "none of them reached a server: not one of %s opened a connection\n", countOf(res.Dials, "dial", "dials"))
	case res.Connected < res.Dials:
		fmt.Fprintf(w, "connections: %d of %d dials opened; the messages whose dial failed never reached the server\n", res.Connected, res.Dials)
	}
	if n := res.RcptAccepted + res.RcptTempRefused + res.RcptPermRefused + res.RcptNotTried; n > 0 {
		fmt.Fprintf(w, "recipients at RCPT: %d accepted, %d refused temporarily (4xx), %d refused permanently (5xx)",
			res.RcptAccepted, res.RcptTempRefused, res.RcptPermRefused)
		if res.RcptNotTried > 0 {
			fmt.Fprintf(w, ", %d not tried (the server closed the session with a 421 before them, RFC 5321 3.8)", res.RcptNotTried)
		}
		fmt.Fprintln(w)
	}
	if cfg.LMTP {
		fmt.Fprintf(w, "recipients at the final dot (LMTP, one reply each): %d accepted, %d refused temporarily (4xx), %d refused permanently (5xx)",
			res.DotAccepted, res.DotTempRefused, res.DotPermRefused)
		if res.DotNoReply > 0 {
			fmt.Fprintf(w, ", %d without a reply (fate unknown)", res.DotNoReply)
		}
		fmt.Fprintln(w)
	}
	if l := res.TxLatency; l.N > 0 {
		fmt.Fprintf(w, "latency of %s (MAIL FROM to the reply to the dot, or the refusal): %s\n", countOf(l.N, "transaction", "transactions"), latencyLine(l))
	}
	if l := res.SessionLatency; l.N > 0 {
		fmt.Fprintf(w, "latency of %s (dial to close): %s\n", countOf(l.N, "session", "sessions"), latencyLine(l))
	}
	res.Table(w)
	for _, k := range unusualKeys(res) {
		fmt.Fprintf(w, "  %s: %s\n", k, unusualLegend(k))
	}
	explainRefusals(w, res)
	if hint := protocolHint(cfg, res); hint != "" {
		fmt.Fprintln(w, hint)
	}
	explainConnErrors(w, cfg, res)
	explainUnknown(w, res)
	switch res.Ended {
	case smtpload.EndedInterrupted:
		fmt.Fprintf(w, "interrupted after %s", res.Wall.Round(time.Millisecond))
		if res.Cancelled > 0 {
			fmt.Fprintf(w, ": %s in flight cancelled before their final dot was sent (not counted as tried)", countOf(res.Cancelled, "message", "messages"))
		}
		fmt.Fprintln(w)
	case smtpload.EndedDuration:
		fmt.Fprintf(w, "ran for --duration %s; the messages in flight then were finished\n", cfg.Duration)
	case smtpload.EndedGaveUp:
		fmt.Fprintf(w, "stopped early (--give-up): %s\n", res.GaveUp)
		if res.Cancelled > 0 {
			fmt.Fprintf(w, "  %s in flight then cancelled (not counted as tried)\n", countOf(res.Cancelled, "message", "messages"))
		}
		fmt.Fprintf(w, "  last failure: %s\n", explainLoadFailure(cfg, res.GaveUpStage, res.GaveUpErr))
	case smtpload.EndedAll:
		if res.LastFailures != "" {
			// --give-up's test fired at the last message: it stopped nothing.
			fmt.Fprintf(w, "every message was tried; the last failures: %s\n", res.LastFailures)
			fmt.Fprintf(w, "  last failure: %s\n", explainLoadFailure(cfg, res.GaveUpStage, res.GaveUpErr))
		}
	}
}

// protocolHint says, when the server refused the session's first command
// in words that name the other protocol, to add or drop --lmtp: an LMTP
// server refuses EHLO and HELO and asks for LHLO (RFC 2033 4.1), and an
// SMTP server does not know LHLO.
func protocolHint(cfg smtpload.Config, res *smtpload.Result) string {
	for k, r := range res.FirstReplies {
		stage, _, _ := strings.Cut(k, " ")
		text := strings.ToUpper(r.Text())
		switch {
		case !cfg.LMTP && stage == smtpload.StageEHLO && strings.Contains(text, "LHLO"):
			return "the server asks for LHLO: it speaks LMTP (RFC 2033), not SMTP; add --lmtp"
		case cfg.LMTP && stage == smtpload.StageLHLO && (r.Code == 500 || r.Code == 502):
			return "the server does not know LHLO: it may speak SMTP, not LMTP (RFC 2033); drop --lmtp if so"
		}
	}
	return ""
}

func latencyLine(l smtpload.Latency) string {
	r := func(d time.Duration) time.Duration {
		if d >= time.Second {
			return d.Round(time.Millisecond)
		}
		return d.Round(10 * time.Microsecond)
	}
	return fmt.Sprintf("p50 %s, p90 %s, p99 %s, max %s", r(l.P50), r(l.P90), r(l.P99), r(l.Max))
}

// maxExplained bounds the refusals explained under the table.
const maxExplained = 5

// explainRefusals says, for the most frequent refusals of the table, what
// one of them said and what the relay's classification makes of it; then,
// apart, the replies to RSET and QUIT that ended sessions, which refused
// no message.
func explainRefusals(w io.Writer, res *smtpload.Result) {
	refusals, ends := refusalKeys(res)
	for _, part := range []struct {
		keys       []string
		head, more string
	}{
		{refusals, "what the refusals mean:", "kinds of refusal"},
		{ends, "how sessions ended (replies to RSET or QUIT, not refusals of a message):", "such replies"},
	} {
		if len(part.keys) > 0 {
			fmt.Fprintln(w, part.head)
		}
		for i, k := range part.keys {
			if i == maxExplained {
				fmt.Fprintf(w, "  (and %d more %s in the table)\n", len(part.keys)-maxExplained, part.more)
				break
			}
			stage, _, _ := strings.Cut(k, " ")
			r := res.FirstReplies[k]
			fmt.Fprintf(w, "  %s (%s): %s%s\n", k, countOf(res.Replies[k], "time", "times"), (&smtpload.ReplyError{Stage: stage, Reply: r}).Error(),
				strings.ReplaceAll(explainRefusal(stage, r, -1), "\n    ", "\n      "))
		}
	}
}

// explainLoadFailure says what the failure that ended a run was, at its
// stage: a refusal with its reply, enhanced code, category, reason and
// advice; a connection failure with its kind, what it means and what to
// try.
func explainLoadFailure(cfg smtpload.Config, stage string, err error) string {
	if err == nil {
		return "none recorded"
	}
	var re *smtpload.ReplyError
	if errors.As(err, &re) {
		return re.Error() + explainRefusal(re.Stage, re.Reply, -1)
	}
	kind := smtpload.ErrorKind(err)
	why, todo := connAdvice(cfg, kind, stage, err)
	return fmt.Sprintf("%v\n    %s (category connection-%s): %s\n    what to do: %s", err, connLabel(kind), kind, why, todo)
}

// connAdvice is what a connection failure of kind means and what to try;
// stage is where it came, or "" when it is not known.
func connAdvice(cfg smtpload.Config, kind, stage string, err error) (why, todo string) {
	at := ""
	if stage != "" {
		at = " " + stageAt(stage)
	}
	switch kind {
	case "refused":
		why = "nothing listens on that port"
		if network, _ := smtpload.Network(cfg.Target); network == "unix" {
			why = "nothing listens at that socket (no socket file at that path, or no server behind it)"
		}
		todo = "start the server, or check --target"
	case "timeout":
		why, todo = timeoutAdvice(cfg, stage)
	case "tls":
		why = "the TLS handshake failed"
		todo = "for a test server's self-signed certificate add --insecure; check that --tls (implicit TLS, 465) or --starttls (25, 587) matches the port"
		var ce *tls.CertificateVerificationError
		var rh tls.RecordHeaderError
		switch {
		case errors.As(err, &ce) || strings.Contains(err.Error(), "certificate"):
			why = "the server's certificate is not trusted"
			todo = "add --insecure to accept a test server's self-signed certificate"
		case cfg.ImplicitTLS && (errors.As(err, &rh) || strings.Contains(err.Error(), "first record does not look like a TLS handshake")):
			why = "--tls was given but the server answered in plaintext"
			todo = "drop --tls; add --starttls to upgrade a plaintext connection (ports 25, 587)"
		}
	case "not-offered":
		why = "the server's EHLO does not offer what was asked for (STARTTLS for --starttls, AUTH or its mechanism for --auth-user), so it was not sent and no message went"
		todo = "check that --target is the port that offers it (submission, 587, usually offers STARTTLS and AUTH after it), or leave out --starttls or --auth-user"
	case "eof", "reset":
		why = fmt.Sprintf("the server closed the connection%s without a reply", at)
		todo = "read the server's log: it may limit connections or refuse this client"
		if stage == smtpload.StageGreeting && !cfg.ImplicitTLS {
			todo += "; a port that speaks TLS from its first byte (465) closes a plaintext client, and needs --tls"
		}
		if stage == smtpload.StageGreeting {
			todo += "; is it an SMTP port at all? a web server (relaylab's UI on 8025) closes the connection with no greeting"
		}
	case "protocol":
		why = "the server's reply is not SMTP, or breaks the protocol (the message's fate is unknown; it was counted as failed)"
		todo = "check that --target is an SMTP server, and read the reply quoted above: the server must be fixed"
		if stage == smtpload.StageData {
			why = "the server answered DATA with neither 354 (go ahead) nor a refusal (RFC 5321 4.1.1.4, 4.3.2), so it never asked for the message and none was sent (counted as failed)"
			todo = "the server must be fixed: read the reply quoted above"
		}
	default:
		why = "the connection failed"
		todo = "check --target and the server"
	}
	return why, todo
}

// timeoutAdvice is connAdvice for a timeout: the advice for a port that
// is no SMTP server, or speaks TLS from its first byte, fits a server
// that never greeted; one that greeted and answered the commands before
// and then stalled is slow, or hangs on purpose, at that command.
func timeoutAdvice(cfg smtpload.Config, stage string) (why, todo string) {
	switch stage {
	case "":
		return fmt.Sprintf("the server did not answer within --timeout %s", config.FormatDuration(cfg.Timeout)),
			"check that this is an SMTP server and is not stalled or overloaded; a port that speaks TLS from its first byte (465) needs --tls; or raise --timeout"
	case smtpload.StageConnect:
		return fmt.Sprintf("the connection was not set up within --timeout %s", config.FormatDuration(cfg.Timeout)),
			"check --target: a host that is down or a firewall that drops the connection looks like this; or raise --timeout"
	case smtpload.StageGreeting:
		todo = "check that this is an SMTP server and is not stalled or overloaded"
		if !cfg.ImplicitTLS {
			todo += "; a port that speaks TLS from its first byte (465) needs --tls"
		}
		return fmt.Sprintf("the server sent no greeting within --timeout %s", config.FormatDuration(cfg.Timeout)), todo + "; or raise --timeout"
	case smtpload.StageDataEnd:
		return fmt.Sprintf("the server did not answer the message's final dot within --timeout %s; it may have delivered the message all the same (RFC 5321 4.5.4.1)", config.FormatDuration(cfg.Timeout)),
			"count what the server delivered before sending again; raise --timeout if the server is slow to answer the dot"
	case smtpload.StageQuit:
		return fmt.Sprintf("the server did not answer QUIT within --timeout %s; the session's messages had their replies before it, so only the session's end waited (its time counts in the session times)", config.FormatDuration(cfg.Timeout)),
			"nothing to resend; a server that hangs at QUIT on purpose (the sink's quithang directive) holds each connection for --timeout: lower --timeout to end such sessions sooner, or read the server's log"
	}
	hang := "hang on purpose"
	if d := hangDirective(stage); d != "" {
		hang += " (as the sink's " + d + " directive does)"
	}
	return fmt.Sprintf("the server did not answer %s within --timeout %s, after it had greeted and answered the commands before it", stageCommand(stage), config.FormatDuration(cfg.Timeout)),
		fmt.Sprintf("the server speaks SMTP but stalled at %s: it may be slow there (a tarpit, a DNS or policy check), or %s; raise --timeout if it is only slow, else read the server's log", stageCommand(stage), hang)
}

// stageCommand names the command whose reply stage is ("RCPT TO").
func stageCommand(stage string) string {
	switch stage {
	case smtpload.StageEHLO:
		return "EHLO"
	case smtpload.StageLHLO:
		return "LHLO"
	case smtpload.StageMail:
		return "MAIL FROM"
	case smtpload.StageRcpt:
		return "RCPT TO"
	case smtpload.StageDataEnd:
		return "the message's final dot"
	}
	return strings.ToUpper(stage)
}

// hangDirective is the sink's directive that stalls at stage (README,
// "The sink"), or "" when none does.
func hangDirective(stage string) string {
	switch stage {
	case smtpload.StageRcpt, smtpload.StageData, smtpload.StageRset, smtpload.StageQuit:
		return stage + "hang"
	}
	return ""
}

// explainConnErrors says what each kind of connection error in the table
// means and what to try.
func explainConnErrors(w io.Writer, cfg smtpload.Config, res *smtpload.Result) {
	xs := connErrorsExplained(cfg, res)
	if len(xs) > 0 {
		fmt.Fprintln(w, "what the connection errors mean:")
	}
	for i, x := range xs {
		why := x.Reason
		if i > 0 && xs[i-1].Kind == x.Kind || i+1 < len(xs) && xs[i+1].Kind == x.Kind {
			why += fmt.Sprintf(" (%s)", countOf(x.Count, "time", "times")) // a kind at several stages
		}
		fmt.Fprintf(w, "  %s: %s (category %s): %s\n      what to do: %s\n", x.Kind, x.Meaning, x.Category, why, x.Advice)
	}
}

// connLabel says what came back in a connection failure of kind: a reply
// that SMTP does not allow there (kind "protocol", a 350 to RCPT), or no
// reply at all.
func connLabel(kind string) string {
	if kind == "protocol" {
		return "a reply no SMTP server may give there"
	}
	return "no reply"
}

// explainUnknown says, for the messages whose final dot was sent and
// whose reply never came, what cut the reply off, and that the server may
// have delivered them.
func explainUnknown(w io.Writer, res *smtpload.Result) {
	if res.Unknown == 0 {
		return
	}
	fmt.Fprintf(w, "fate unknown: %s: the final dot was sent, the reply not read; the server may have delivered %s (RFC 5321 4.5.4.1)\n",
		countOf(res.Unknown, "message", "messages"), map[bool]string{true: "it", false: "them"}[res.Unknown == 1])
	kinds := make([]string, 0, len(res.UnknownErrors))
	for k := range res.UnknownErrors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %s: %d (first: %s)\n", k, res.UnknownErrors[k], res.FirstUnknown[k])
	}
	fmt.Fprintln(w, "      what to do: "+unknownAdvice(res))
}

// loadExit is the exit status of a run and what to say on stderr: see
// loadSynopsis. Its line points to the summary: the text above it, or with
// asJSON the object on stdout (stderr holds no summary then).
func loadExit(res *smtpload.Result, asJSON bool) (int, error) {
	var what []string
	if n := res.Attempted - res.Accepted; n > 0 {
		what = append(what, fmt.Sprintf("%d of %d messages tried were not accepted", n, res.Attempted)+notAcceptedParts(res))
	}
	if res.Partial > 0 {
		what = append(what, fmt.Sprintf("%d accepted for only some of their recipients", res.Partial))
	}
	if res.Cancelled > 0 {
		// Not among those tried (smtpload.Result): said apart, so that
		// the numbers above add up.
		by := "when Ctrl-C (or SIGTERM) stopped the run"
		if res.Ended == smtpload.EndedGaveUp {
			by = "when the run gave up (--give-up)"
		}
		what = append(what, fmt.Sprintf("besides, %s cancelled in flight %s, before the final dot (not counted as tried)",
			countOf(res.Cancelled, "message", "messages"), by))
	}
	var code int
	switch {
	case res.PermRefusals > 0 && res.TempRefusals > 0:
		code = exitPermFail
		what = append(what, fmt.Sprintf("the server refused with permanent (5xx) replies (%d) and temporary (4xx) ones (%d)", res.PermRefusals, res.TempRefusals))
	case res.PermRefusals > 0:
		code = exitPermFail
		what = append(what, "the server refused with permanent (5xx) replies")
	case res.TempRefusals > 0:
		code = exitTempFail
		what = append(what, "the server refused with temporary (4xx) replies only")
	case res.Ended == smtpload.EndedInterrupted:
		code = exitInterrupted
		what = append(what, "the run was interrupted")
	case res.Failed > 0 || res.Unknown > 0 || res.Ended == smtpload.EndedGaveUp:
		code = 1
	default:
		return 0, nil
	}
	if res.Ended == smtpload.EndedGaveUp {
		what = append(what, "the run gave up early")
	}
	see := "see the summary above"
	if asJSON {
		see = "see the JSON summary on stdout"
	}
	return code, fmt.Errorf("%s (%s)", strings.Join(what, "; "), see)
}

// notAcceptedParts is what the messages tried and not accepted came to,
// ": 3 refused by the server, 159 lost to ... and 2 of unknown fate",
// adding up to Attempted - Accepted; "" when all were refused, as the
// refusal's own words then say.
func notAcceptedParts(res *smtpload.Result) string {
	if res.Failed == 0 && res.Unknown == 0 {
		return ""
	}
	var parts []string
	if res.Refused > 0 {
		parts = append(parts, fmt.Sprintf("%d refused by the server", res.Refused))
	}
	if res.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d lost to connection, TLS or protocol errors", res.Failed))
	}
	if res.Unknown > 0 {
		parts = append(parts, fmt.Sprintf("%d of unknown fate (the final dot sent, no reply read; the server may have delivered them)", res.Unknown))
	}
	if len(parts) == 1 {
		return ": " + parts[0]
	}
	return ": " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// loadJSON is --json's summary.
type loadJSON struct {
	Target      string         `json:"target"`
	Parameters  loadParamsJSON `json:"parameters"`
	Started     string         `json:"started"`
	Connections loadConnsJSON  `json:"connections"`
	NotTried    int            `json:"not_tried"` // messages asked for and never begun (a run that gave up, was interrupted or ran out its --duration)
	Sessions    int            `json:"sessions"`
	WallSeconds float64        `json:"wall_seconds"`
	Attempted   int            `json:"attempted"`
	Accepted    int            `json:"accepted"`
	Partial     int            `json:"accepted_partly"`
	Refused     int            `json:"refused"`
	Failed      int            `json:"failed"`
	Cancelled   int            `json:"cancelled"`
	Unknown     int            `json:"fate_unknown"`
	Rate        float64        `json:"accepted_per_second"`
	Recipients  loadRcptJSON   `json:"recipients"`
	Replies     map[string]int `json:"replies"`
	ConnErrors  map[string]int `json:"connection_errors"`
	UnknownBy   map[string]int `json:"fate_unknown_by"`
	Latency     struct {
		Transaction latencyJSON `json:"transaction"`
		Session     latencyJSON `json:"session"`
	} `json:"latency"`
	Ended  string `json:"ended"` // "all", "duration", "gave-up", "interrupted"
	GaveUp string `json:"gave_up,omitempty"`
	// LastFailures: every message was tried, the last ones failing as
	// --give-up stops a run on (smtpload.Result.LastFailures).
	LastFailures string `json:"last_failures,omitempty"`
	ExitCode     int    `json:"exit_code"`
	// What the text summary explains under its table: each refusal and
	// connection failure with its category, reason and what to do; the
	// notes in the keys of replies; the messages of unknown fate; the
	// failure that made the run give up.
	RefusalsExplained []loadExplained `json:"refusals_explained"`
	// SessionEndsExplained: the refusals of the RSET after a refusal, or
	// of QUIT, which ended sessions and refused no message.
	SessionEndsExplained []loadExplained   `json:"session_ends_explained,omitempty"`
	ConnErrorsExplained  []loadExplained   `json:"connection_errors_explained"`
	RepliesLegend        map[string]string `json:"replies_legend,omitempty"`
	UnknownExplained     *loadUnknownJSON  `json:"fate_unknown_explained,omitempty"`
	GaveUpFailure        *loadExplained    `json:"gave_up_last_failure,omitempty"`
}

type loadRcptJSON struct {
	Accepted    int `json:"accepted"`
	TempRefused int `json:"refused_temporarily"`
	PermRefused int `json:"refused_permanently"`
	NotTried    int `json:"not_tried"`
	// AtFinalDot counts LMTP's replies to the final dot, one per
	// recipient accepted at RCPT (RFC 2033 4.2); absent in SMTP.
	AtFinalDot *loadDotJSON `json:"at_final_dot,omitempty"`
}

type loadDotJSON struct {
	Accepted    int `json:"accepted"`
	TempRefused int `json:"refused_temporarily"`
	PermRefused int `json:"refused_permanently"`
	NoReply     int `json:"no_reply"` // the reply never came: fate unknown
}

type latencyJSON struct {
	N     int     `json:"n"`
	P50ms float64 `json:"p50_ms"`
	P90ms float64 `json:"p90_ms"`
	P99ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

func latencyJSONOf(l smtpload.Latency) latencyJSON {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return latencyJSON{N: l.N, P50ms: ms(l.P50), P90ms: ms(l.P90), P99ms: ms(l.P99), MaxMs: ms(l.Max)}
}

func writeLoadJSON(w io.Writer, cfg smtpload.Config, res *smtpload.Result, code int) error {
	j := loadJSON{Target: cfg.Target, Parameters: loadParamsOf(cfg), Started: startedJSON(res.Start), Connections: loadConnsJSON{res.Dials, res.Connected},
		NotTried: notTried(cfg, res), Sessions: res.Sessions, WallSeconds: res.Wall.Seconds(), Attempted: res.Attempted,
		Accepted: res.Accepted, Partial: res.Partial, Refused: res.Refused, Failed: res.Failed, Cancelled: res.Cancelled, Unknown: res.Unknown, Rate: res.Rate(),
		Recipients: loadRcptJSON{Accepted: res.RcptAccepted, TempRefused: res.RcptTempRefused, PermRefused: res.RcptPermRefused, NotTried: res.RcptNotTried},
		Replies:    res.Replies, ConnErrors: res.ConnErrors, UnknownBy: res.UnknownErrors, Ended: res.Ended, GaveUp: res.GaveUp, LastFailures: res.LastFailures, ExitCode: code}
	if j.Ended == smtpload.EndedAll {
		j.Ended = "all"
	}
	if cfg.LMTP {
		j.Recipients.AtFinalDot = &loadDotJSON{res.DotAccepted, res.DotTempRefused, res.DotPermRefused, res.DotNoReply}
	}
	j.Latency.Transaction, j.Latency.Session = latencyJSONOf(res.TxLatency), latencyJSONOf(res.SessionLatency)
	refusals, ends := refusalKeys(res)
	j.RefusalsExplained, j.SessionEndsExplained = refusalsExplained(res, refusals), refusalsExplained(res, ends)
	j.ConnErrorsExplained, j.RepliesLegend = connErrorsExplained(cfg, res), repliesLegend(res)
	if res.Unknown > 0 {
		j.UnknownExplained = &loadUnknownJSON{Meaning: unknownMeaning, First: res.FirstUnknown, Advice: unknownAdvice(res)}
	}
	if res.Ended == smtpload.EndedGaveUp || res.LastFailures != "" {
		j.GaveUpFailure = failureExplained(cfg, res.GaveUpStage, res.GaveUpErr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}
