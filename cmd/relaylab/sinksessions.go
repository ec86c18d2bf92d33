package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/textsafe"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// maxSessionList is the most sessions one listing prints: the API's most
// a page (web's listSessions).
const maxSessionList = 10000

// runSinkSessions is "relaylab sink sessions": the sessions the sink
// recorded that a tester looks for from a client's log (its address, the
// name it gave, an address of its envelope, a piece of the transcript),
// from a store or from a running serve's API.
func runSinkSessions(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sink sessions", `[--db PATH | --config FILE | --url URL [--timeout D]] [--client IP] [--helo S] [--from ADDR] [--to ADDR] [--text S] [--limit N] [--json]

Lists the sessions the sink recorded, newest first, one line each: its
id, when it began, the client's address, the name of its EHLO or HELO,
whether it used TLS, and what became of it (the reply that ended its
last recipient's attempt, or the refusal or closing that ended it). The
filters narrow the list, each given one further: --client an IP address
(any port) or an address and port, --helo a part of the EHLO name, --from
and --to an address of a MAIL FROM or RCPT TO (any case; an IDN domain
in UTF-8 or as A-labels), --text a part of the transcript. "relaylab
sink sessions --to bob@example.test" finds the sessions that mailed
bob; open one in the web UI, or GET /api/v1/sink/sessions/ID, for its
transcript. --url asks a running relaylab serve instead
(/api/v1/sink/sessions); its web.token, if any, in $RELAYLAB_TOKEN.
Exit status: 0 when listed (none found too), 1 when the store or the
serve could not be read, 2 for bad arguments or no store.`)
	db := fs.String("db", "", "the SQLite store (default relaylab.db, or store.path in --config)")
	cfgPath := fs.String("config", "", "YAML configuration file")
	rawURL := fs.String("url", "", "a running relaylab serve to ask instead (http://127.0.0.1:8025); its web.token, if any, in $RELAYLAB_TOKEN, or its web.user and web.password as http://USER:PASSWORD@host:port")
	timeout := fs.Duration("timeout", 30*time.Second, "with --url, how long to wait for the serve's answer")
	var f sink.SessionFilter
	fs.StringVar(&f.Client, "client", "", "the client's IP address (192.0.2.1, 2001:db8::1), or an address and port (192.0.2.1:40000)")
	fs.StringVar(&f.HELO, "helo", "", "a part of the client's EHLO or HELO name, in any case")
	fs.StringVar(&f.Sender, "from", "", "an address of the session's MAIL FROM")
	fs.StringVar(&f.Recipient, "to", "", "an address of the session's RCPT TO")
	fs.StringVar(&f.Text, "text", "", "a part of the session's transcript, ASCII letters in any case")
	fs.IntVar(&f.Limit, "limit", 100, fmt.Sprintf("the most sessions to list, the newest (1 to %d)", maxSessionList))
	asJSON := fs.Bool("json", false, "print the sessions as JSON, as the API's list gives them")
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return usageError("sink sessions takes no arguments, got %q: filter with --client, --helo, --from, --to or --text", fs.Args())
	case *rawURL != "" && (*db != "" || *cfgPath != ""):
		return usageError("sink sessions: give --db or --url, not both: --db reads a store, --url asks a running relaylab serve")
	case f.Limit < 1 || f.Limit > maxSessionList:
		return usageError("sink sessions: --limit %d: want 1 to %d", f.Limit, maxSessionList)
	case *timeout <= 0:
		return usageError("sink sessions: --timeout %s: want a positive duration such as 30s", config.FormatDuration(*timeout))
	}
	if err := f.Check(); err != nil {
		return usageError("sink sessions: --%s", strings.TrimPrefix(err.Error(), "sink: "))
	}
	var list []web.SinkSession
	var err error
	if *rawURL != "" {
		list, err = remoteSessions(ctx, *rawURL, *timeout, f)
	} else {
		list, err = storedSessions(ctx, e, *db, *cfgPath, f)
	}
	if err != nil {
		return subcommandError("sink sessions", err)
	}
	if len(list) == f.Limit {
		fmt.Fprintf(e.stderr, "the newest %d sessions that match; there may be more: raise --limit (up to %d), or narrow the filters\n", f.Limit, maxSessionList)
	}
	if *asJSON {
		return printJSON(e, list)
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stdout, "no sessions (%s)\n", sessionFilterWords(f))
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTART\tCLIENT\tHELO\tTLS\tOUTCOME")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", textsafe.Escape(s.ID), s.Start.Format(time.RFC3339), textsafe.Escape(s.Client),
			cellOr(s.HELO, "-"), yesNo(s.TLS), cellOr(sessionOutcome(s), "-"))
	}
	return tw.Flush()
}

// storedSessions reads the sessions of f from the store (--db, or
// store.path of --config), with what became of each as the web's list
// says it (sinkAdapter.sessionOutcomes).
func storedSessions(ctx context.Context, e *env, db, cfgPath string, f sink.SessionFilter) ([]web.SinkSession, error) {
	log, cfg, path, err := recordedStore(ctx, e, db, cfgPath)
	if err != nil {
		return nil, err
	}
	st, _, err := openStoreFor(ctx, cfg, path, log, false)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ss, err := sink.ListSessions(ctx, st.DB(), f)
	if err != nil {
		return nil, startError(path, err)
	}
	out := make([]web.SinkSession, 0, len(ss))
	for _, s := range ss {
		out = append(out, sessionDTO(s))
	}
	if err := (sinkAdapter{db: st.DB()}).sessionOutcomes(ctx, out, false); err != nil {
		return nil, startError(path, err)
	}
	return out, nil
}

// remoteSessions asks the serve at rawURL for the sessions of f.
func remoteSessions(ctx context.Context, rawURL string, timeout time.Duration, f sink.SessionFilter) ([]web.SinkSession, error) {
	base, err := serveBase(rawURL)
	if err != nil {
		return nil, usageError("%v", err)
	}
	q := url.Values{"limit": {strconv.Itoa(f.Limit)}}
	for _, p := range []struct{ name, v string }{{"client", f.Client}, {"helo", f.HELO}, {"from", f.Sender}, {"to", f.Recipient}, {"text", f.Text}} {
		if p.v != "" {
			q.Set(p.name, p.v)
		}
	}
	client, first := serveClient(timeout)
	r := remoteAttempts{base: base, token: os.Getenv("RELAYLAB_TOKEN"), client: client, first: first}
	var page struct {
		Sessions []web.SinkSession `json:"sessions"`
	}
	if err := r.get(ctx, "/api/v1/sink/sessions?"+q.Encode(), "the sink's sessions", &page); err != nil {
		return nil, err
	}
	return page.Sessions, nil
}

// sessionOutcome is what became of s, for its line: its last reply, or
// that it had not ended when it was read.
func sessionOutcome(s web.SinkSession) string {
	switch {
	case s.LastReply != "":
		return s.LastReply
	case s.End.IsZero():
		return "not ended yet"
	}
	return ""
}

// sessionFilterWords says what the filters of an empty list were.
func sessionFilterWords(f sink.SessionFilter) string {
	var parts []string
	for _, p := range []struct{ flag, v string }{{"client", f.Client}, {"helo", f.HELO}, {"from", f.Sender}, {"to", f.Recipient}, {"text", f.Text}} {
		if p.v != "" {
			parts = append(parts, "--"+p.flag+" "+strconv.Quote(p.v))
		}
	}
	if len(parts) == 0 {
		return "the sink recorded none"
	}
	return "none matches " + strings.Join(parts, " ")
}

// cellOr is s made safe for a line of a table (a client's EHLO name is
// its own text), or none when s is empty.
func cellOr(s, none string) string {
	if s == "" {
		return none
	}
	return textsafe.Escape(strings.Join(strings.Fields(s), " "))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
