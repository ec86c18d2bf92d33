package main

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/sink"
)

func init() {
	register(command{"expect", "judge what a sink recorded from someone else's sender against expectations", runExpect})
}

// expectFile is an expect file: a name and an expect: section, the same
// language as a scenario's.
type expectFile struct {
	// Name names the verdict: the file's name: key, or its path.
	Name string `yaml:"-"`
	// NameKey is what the file's name: key says; loadExpectFile points it
	// at the path first, so that nil is a bare "name:" (YAML null, which
	// leaves a string as it was but sets a pointer to nil).
	NameKey *string              `yaml:"name"`
	Expect  reports.Expectations `yaml:"expect"`

	// file and data are the file and its text while it is read, for
	// the lines of its expectations; more are the problems Validate
	// found after the first, which loadExpectFile reports with it.
	file string
	data []byte
	more []error
}

// UnmarshalYAML decodes the file's keys as the decoder would, and keeps
// the text of a name that YAML reads as a number ("name: 1.10", not
// "1.1"; see config.KeepText).
func (x *expectFile) UnmarshalYAML(decode func(any) error) error {
	type plain expectFile // without this method, so no recursion
	v := plain(*x)
	if err := decode(&v); err != nil {
		return err
	}
	config.KeepText(decode, &v)
	*x = expectFile(v)
	return nil
}

// Validate returns the file's first problem, and keeps the others for
// loadExpectFile, which reports them all.
func (x *expectFile) Validate(string) error {
	errs := x.problems()
	if len(errs) == 0 {
		return nil
	}
	x.more = errs[1:]
	return errs[0]
}

// problems are the file's problems, the first of each expectation.
func (x *expectFile) problems() []error {
	var errs []error
	if x.NameKey == nil || *x.NameKey == "" {
		// The verdict and its JUnit suite would have no name (or, for a
		// bare name:, the file's, as if the key were left out).
		errs = append(errs, config.Errorf("name", `an empty name leaves the verdict unnamed: give one such as "signup-mail", or leave the key out (the verdict is then named after the file)`))
	} else {
		x.Name = *x.NameKey
	}
	if x.Expect.Empty() {
		// Judging nothing would pass whatever the sender did.
		return append(errs, config.Errorf("expect", "no expectations: list recipients: or aggregate: checks under expect:"))
	}
	if x.Expect.Aggregate.MaxConcurrentPerDestination != nil {
		// Only a replay counts connections, at its own sink's listeners.
		errs = append(errs, config.Errorf("expect.aggregate.max_concurrent_per_destination", "applies to replays only: expect cannot count the connections a sink received; remove it"))
	}
	x.Expect.Locate(x.file, x.data, "expect")
	replay := map[string]bool{} // the expectations refused as a replay's
	for i, r := range x.Expect.Recipients {
		if name, why := replayOnly(r); name != "" {
			k := fmt.Sprintf("expect.recipients[%d]", i)
			replay[k] = true
			errs = append(errs, config.Errorf(k+"."+name, "applies to replays only: %s", why))
		}
	}
	for _, err := range x.Expect.Problems("expect") {
		var fe *config.FieldError
		if errors.As(err, &fe) && replay[strings.SplitAfter(fe.Key, "]")[0]] && !x.Expect.SetAside(err) {
			continue // one problem of each expectation, and the values that did not decode
		}
		errs = append(errs, err)
	}
	return errs
}

// replayOnly names a key of r that a sink's record cannot judge, and why:
// what it asks of is the relay's (its categories, its suppression list),
// so on a sink's record it would fail every recipient (category) or pass
// every one (suppressed: false) whatever the sender under test did. dsn
// and dsn_status judge the bounces the sink sent after accepting.
func replayOnly(r reports.RecipientExpectation) (key, why string) {
	switch {
	case r.Category != "":
		return "category", "a sink's record gives no bounce category; judge the reply with last_code or last_reply instead"
	case r.Suppressed != nil:
		return "suppressed", "a sink's record has no suppression list; remove it"
	case r.Status == "expired" || r.Status == "suppressed":
		return "status", fmt.Sprintf("%s is a relay's verdict; want delivered, bounced, deferred or queued, as a sink's recipients end", r.Status)
	}
	return "", ""
}

const expectSynopsis = `(--db PATH | --url URL [--timeout D]) [--wait D] [--junit FILE] [--json FILE] [--html FILE] [--markdown FILE] EXPECT.yaml|DIR...

Judges what a sink recorded against the expect: sections of the files; a
directory stands for every *.yaml and *.yml file in it, in name order. An
EXPECT.yaml holds a name and an expect: section, in the language of
scenarios (README.md, "Scenarios: replay, assert, report"):

  name: signup-mail
  expect:
    recipients:
      - {match: "*@example.test", status: delivered, attempts: ">=1", tls: true}

It judges the record as it is; with --wait, it looks again every second,
for at most that long, until every expectation has as many records as
its count asks, each final (delivered or bounced, none deferred or
queued) or in the status it asks for, and with the DSN it asks for unless
that can no longer come; an expectation of absence (count: 0) waits for
nothing. Then it judges: expectations that hold early (attempts: 1 after
a first deferral) can still fail once the sender tries again. --wait does
not wait for a serve that is not listening yet, and stops waiting (exit 3)
when the serve stops listening. A scenario file (seed:, messages:) is for
relaylab replay.

Exit status: 0 when every expectation held, 1 when one failed, 2 for bad
flags or files (a missing --db, a file that is not a relaylab store, a
directory with no *.yaml or *.yml file), 3 when
no verdict could be reached (the store could not be read, the relaylab serve
at --url could not be asked, refused or did not answer within --timeout, an
output file could not be written).`

func runExpect(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "expect", expectSynopsis)
	db := fs.String("db", "", "the store of the sink that received the mail (relaylab sink --db)")
	url := fs.String("url", "", "a running relaylab serve to ask instead (http://127.0.0.1:8025); its web.token, if any, in $RELAYLAB_TOKEN, or its web.user and web.password as http://USER:PASSWORD@host:port")
	timeout := fs.Duration("timeout", 30*time.Second, "with --url, how long to wait for the serve's answer")
	wait := fs.Duration("wait", 0, "look again every second, for at most this long (such as 2m), until the recipients the expectations ask for are there, final or in the status asked, with the DSNs asked; then judge (0: judge at once)")
	outs := addVerdictOutputs(fs)
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("name at least one expect file")
	}
	if (*db == "") == (*url == "") {
		return usageError("give --db PATH (the store the sink recorded into) or --url URL (a running relaylab serve), one of them")
	}
	base := ""
	if *url != "" {
		var err error
		if base, err = serveBase(*url); err != nil {
			return usageError("%v", err)
		}
	}
	if *timeout <= 0 {
		return usageError("--timeout %s: want a positive duration such as 30s", *timeout)
	}
	if *wait < 0 {
		return usageError("--wait %s: want 0 (judge at once) or a positive duration such as 2m", *wait)
	}
	// A file that does not load is not judged: the others are, and every
	// output says so of it (as replay's do), so that no earlier output is
	// left in place and no file looks judged that was not. A directory
	// stands for its *.yaml and *.yml files, as replay's does.
	named := fileArgs(fs.Args(), "expect files")
	loaded := make([]*expectFile, len(named))
	unread := map[int]error{}
	var files []*expectFile
	var paths []string
	for i, a := range named {
		path := a.path
		if a.err != nil {
			unread[i] = a.err // a directory with no YAML file
			continue
		}
		x, err := loadExpectFile(path)
		if err != nil {
			unread[i] = err // file, line and key, or the file cannot be read
			continue
		}
		loaded[i] = x
		files, paths = append(files, x), append(paths, path)
	}
	// verdicts are the files' verdicts in the order given: judged's for
	// those judged, the problem of each that did not load (shown: the line
	// standard output gives it, which points at standard error, where
	// loadErrors has the problem once; the output files have it whole).
	verdicts := func(judged []reports.Verdict, shown bool) []reports.Verdict {
		vs := make([]reports.Verdict, 0, len(named))
		for i, a := range named {
			if err, bad := unread[i]; bad {
				v := reports.ErrorVerdict(a.path, a.path, err)
				if shown {
					v = shownOnce(v, "did not load")
				}
				vs = append(vs, v)
				continue
			}
			vs, judged = append(vs, judged[0]), judged[1:]
		}
		return markFromDir(vs, named)
	}
	// loadErrors are the problems of the files that did not load, in the
	// order given, for standard error.
	loadErrors := func() []error {
		var errs []error
		for i := range named {
			if err, bad := unread[i]; bad {
				errs = append(errs, err)
			}
		}
		return errs
	}
	// stop ends a run that cannot judge (a store it cannot use, a serve
	// it cannot ask, a signal) with err, and every output says, of each
	// file, that it was not judged and why: an earlier run's output, green,
	// must not stay in place beside the error.
	stop := func(err error) error {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w, so nothing was judged; run relaylab expect again to judge", interrupted(ctx, "it judged"))
		}
		var nv, short []reports.Verdict
		for i, x := range loaded {
			if x != nil {
				nv = append(nv, notVerdict(x.Name, named[i].path, "judged", err))
				short = append(short, stoppedShort(x.Name, named[i].path, "expect", "judging"))
			}
		}
		// Standard output says what became of each file, as it does of a
		// file that did not load; the reasons are on standard error, once:
		// the files' that did not load, then the stop's, whose exit status
		// the run keeps.
		reports.WriteVerdicts(e.stdout, verdicts(short, true))
		return outs.stopped(stoppedAfter("expect", loadErrors(), err), verdicts(nv, false))
	}
	if *db != "" {
		if err := requireStore(ctx, *db); err != nil {
			return stop(err)
		}
	}
	if err := outs.check(); err != nil {
		return outs.unwritable(err, argPaths(named), "judged")
	}
	client, first := serveClient(*timeout)
	var src reports.SinkAttemptSource = remoteAttempts{base: base, token: os.Getenv("RELAYLAB_TOKEN"), client: client, first: first, seen: &remoteSeen{}}
	// rel is the relay's record in the same store (a relaylab serve's),
	// whose holds say why a recipient the sink deferred gets no try.
	var rel reports.EventSource = remoteEvents{src.(remoteAttempts)}
	if *db != "" {
		// As report reads it: read-only, and said so, when this user
		// may not write the store or beside it (another user's serve).
		log, err := newLogger(e, "warn")
		if err != nil {
			return stop(err)
		}
		st, err := openToRead(ctx, *db, log)
		if err != nil {
			// Exit 3, a store expect could not read, where queue and
			// report say 1.
			if xe := (*exitError)(nil); errors.As(err, &xe) {
				err = xe.err
			}
			return stop(err)
		}
		defer st.Close()
		src, rel = sinkAttempts{db: st.DB()}, st
	}
	verdictsOf := func(d *reports.Data) []reports.Verdict {
		var vs []reports.Verdict
		for i, x := range files {
			v := reports.NewVerdict(x.Name, paths[i], d, reports.Evaluate(d, x.Expect))
			if _, remote := src.(remoteAttempts); remote && *wait <= 0 && !v.Passed && wantsDSN(x) {
				v.Notes = append(v.Notes, remoteDSNNote)
			}
			vs = append(vs, v)
		}
		return vs
	}
	judge := func() ([]reports.Verdict, *reports.Data, error) {
		d, err := reports.FromSink(ctx, src)
		if err != nil {
			return nil, nil, err
		}
		// The rests that the relay's attempts began, noted as its record
		// is read: reports.Data keeps none.
		rw := &restWatch{EventSource: rel}
		relay, err := reports.Load(ctx, rw)
		if err != nil {
			return nil, nil, err
		}
		d.AdviseOutsideSenders(relay)
		d.AddRelayHolds(relay)
		d.AddRelayRetries(relay)
		if err := addSuppressions(ctx, d, relay, src); err != nil {
			return nil, nil, err
		}
		d.RelayMail = len(relay.Recipients) > 0 // a serve's store: not only the sink's
		rw.addRests(d, relay)
		if sa, ok := src.(sinkAttempts); ok {
			// The summary's sink_sessions, sink_sessions_open and sink_replies
			// as relaylab report counts them: every session (those with no end
			// recorded apart), every reply by stage and code.
			replies, t, err := sinkRecord{sa}.tally(ctx)
			if err != nil {
				return nil, nil, err
			}
			d.CountSinkReplies(replies)
			d.SinkSessions, d.SinkSessionsOpen = t.Sessions, t.Open
		} else {
			// The API's attempts are not every session and reply.
			d.SinkCountsUnknown = true
		}
		return verdictsOf(d), d, nil
	}
	var judged []reports.Verdict
	if len(files) > 0 {
		var err error
		if judged, err = waitForVerdicts(ctx, e, clock.Real{}, *wait, files, *db != "", judge, verdictsOf); err != nil {
			return stop(err)
		}
	}
	errs := loadErrors()
	vs := verdicts(judged, false)
	reports.WriteVerdicts(e.stdout, verdicts(judged, true))
	if err := outs.write(vs); err != nil {
		return noVerdict(joinLines("expect", append(errs, err)...))
	}
	if len(errs) > 0 {
		return &exitError{code: 2, err: joinLines("expect", errs...)}
	}
	return verdictExit(vs)
}

// stoppedShort is the verdict standard output gives a file of name at
// path that a run of relaylab cmd stopped before doing (judging,
// replaying): not judged, in a line that points at standard error, which
// has the reason and what to do once (every output file has it too).
// relaylab expect and replay print these where a file that did not load
// has its own error.
func stoppedShort(name, path, cmd, doing string) reports.Verdict {
	return reports.ErrorVerdict(name, path, fmt.Errorf("relaylab %s stopped before %s any file: the reason, and what to do, is on standard error", cmd, doing))
}

// remoteDSNNote is what a failed verdict over --url without --wait says
// of the DSNs it expected: the API has the bounces the sink sent (its
// sink.bounce events), not one accepted and still due, which --db sees
// and names with its due time.
const remoteDSNNote = "over --url, expect sees only the bounces the sink has sent (the serve's sink.bounce events), not one still due: " +
	"a DSN expected and not seen may be a bounce the sink sends later (its bounce directives and rules wait before sending); " +
	"give --wait (such as --wait 2m) to wait for it, or judge with --db on the serve's store, which says when one is due"

// wantsDSN reports whether x expects a DSN of some recipient (dsn: sent
// or a dsn_status).
func wantsDSN(x *expectFile) bool {
	for _, r := range x.Expect.Recipients {
		if r.DSN == "sent" || r.DSNStatus != "" {
			return true
		}
	}
	return false
}

// sinkAttempts reads a sink's record for reports.FromSink, which explains
// its refusals with classify (nil: the relay's built-in table).
type sinkAttempts struct {
	db       *sql.DB
	classify *relay.Classifier
}

var _ reports.SinkExplainer = sinkAttempts{}

func (s sinkAttempts) ExplainSinkReply(stage string, code int, enhanced, text string) (reports.Explanation, bool) {
	v, ok := relay.ExplainSinkReply(s.classify, stage, code, enhanced, text)
	return reports.Explanation{Category: v.Category, Reason: v.Reason, Advice: v.Advice}, ok
}

func (s sinkAttempts) AllAttempts(ctx context.Context) ([]reports.SinkAttempt, error) {
	mas, err := s.AllMessageAttempts(ctx)
	return reports.WithoutMessages(mas), err
}

// AllMessageAttempts gives reports.FromSink the message each attempt
// left, so that relaylab expect --db counts messages (sink_messages and
// sink_accepted in its --json summary), not accepted recipients.
func (s sinkAttempts) AllMessageAttempts(ctx context.Context) ([]reports.SinkMessageAttempt, error) {
	atts, err := sink.AllAttempts(ctx, s.db)
	if err != nil {
		return nil, err
	}
	ids, err := messageIDsBetween(ctx, s.db, 1, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	out := make([]reports.SinkMessageAttempt, len(atts))
	for i, a := range atts {
		out[i] = reports.SinkMessageAttempt{Message: a.Message, MessageID: ids[a.Message], SinkAttempt: reports.SinkAttempt{Time: a.Time, Listener: a.Listener, Client: a.Client,
			Sender: a.Sender, Recipient: a.Recipient, Stage: string(a.Stage), Code: a.Reply.Code, Enhanced: a.Reply.Enhanced, Text: a.Reply.Text, TLS: a.TLS,
			Session: a.Session, By: a.By}}
	}
	return out, nil
}

// AllBounces gives reports.FromSink the bounces the sink has after
// accepting a message, so that dsn and dsn_status judge those it sent,
// and a failed expectation says why one was not sent.
func (s sinkAttempts) AllBounces(ctx context.Context) ([]reports.SinkBounce, error) {
	relays, err := s.bounceRelays(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, message, sender, recipient, reply, sent_ns, due_ns, error, skipped, tries, last_error FROM sink_bounces ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []reports.SinkBounce
	for rows.Next() {
		var b reports.SinkBounce
		var id, sent, due int64
		var tries int
		var errText, skipped, lastErr string
		// The sender too: a recipient the sink saw from several senders
		// has a record per sender, and the bounce is about one of them.
		if err := rows.Scan(&id, &b.Message, &b.Sender, &b.Recipient, &b.Reply, &sent, &due, &errText, &skipped, &tries, &lastErr); err != nil {
			return nil, err
		}
		b.Relay = relays[id]
		if sent == 0 {
			b.NotSent = bounceNotSentAt(time.Unix(0, due).UTC(), errText, skipped, tries, lastErr, b.Relay)
		} else {
			b.Time = time.Unix(0, sent).UTC()
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// bounceNotSent says why a bounce of the sink's did not go out, to follow
// "the sink has a bounce for it that": tries failed so far while it is
// pending, the last with lastErr (bounceNotSentAt, the relay as lastErr
// names it).
func bounceNotSent(due time.Time, errText, skipped string, tries int, lastErr string) string {
	return bounceNotSentAt(due, errText, skipped, tries, lastErr, "")
}

// bounceNotSentAt is bounceNotSent of a bounce the sink sent to relay
// (its sink.bounce event's, else the one lastErr names; "" when neither
// says).
func bounceNotSentAt(due time.Time, errText, skipped string, tries int, lastErr, relay string) string {
	where := "its bounce relay (sink.bounce.relay, or under relaylab serve its own relay)"
	if relay = cmp.Or(relay, bounceRelayNamed(lastErr)); relay != "" {
		where = relay + " (sink.bounce.relay, or under relaylab serve its own relay)"
	}
	switch {
	case skipped != "" || errText != "":
		return reports.SinkBounceNotSent(errText, skipped)
	case tries > 0:
		fix := "see that " + relay + " takes mail from the sink, or set sink.bounce.relay to a relay that does"
		if strings.Contains(lastErr, "connection refused") {
			fix = "nothing listens there: start a relay at that address (relaylab relay or serve), or set sink.bounce.relay to one that listens"
		}
		if relay == "" {
			fix = "see that something takes mail at sink.bounce.relay, or set it to a relay that does"
		}
		return fmt.Sprintf("it has not sent yet: %d of its 5 tries at %s, a minute apart, failed, the last with: %s; the next is at %s (%s)",
			tries, where, lastErr, due.Format(time.RFC3339), fix)
	}
	return "is due at " + due.Format(time.RFC3339) + " and not sent yet: the sink sends it to " + where + " when it is due and, when that fails, tries again a minute apart, five times in all (its log says why a try failed)"
}

// bounceRelayNamed is the relay that a failed try of a sink's bounce
// names ("connecting to the bounce relay 127.0.0.1:2526: dial tcp ...",
// sink/bounce.go), "" when it names none.
func bounceRelayNamed(text string) string {
	const at = "the bounce relay "
	_, rest, ok := strings.Cut(text, at)
	if !ok {
		return ""
	}
	f, _, _ := strings.Cut(rest, " ")
	return strings.TrimSuffix(f, ":")
}

// bounceRelays are where the sink sent its bounces, or tried to, by the
// bounce's id: the relay of each bounce's sink.bounce event (written when
// it was sent or given up on). A bounce still pending has none yet.
func (s sinkAttempts) bounceRelays(ctx context.Context) (map[int64]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT payload FROM events WHERE kind = ?`, events.SinkBounce)
	if err != nil {
		return nil, fmt.Errorf("reading the sink's bounce events: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var payload []byte
		if err := rows.Scan(&payload); err != nil {
			return nil, err
		}
		var p struct {
			Bounce int64  `json:"bounce"`
			Relay  string `json:"relay"`
		}
		if json.Unmarshal(payload, &p) == nil && p.Bounce != 0 {
			out[p.Bounce] = p.Relay
		}
	}
	return out, rows.Err()
}

// NullSenderMessages gives reports.FromSink the messages the sink
// received from the null sender, among them the DSNs the sender's own MTA
// wrote (RFC 5321 4.5.5: a DSN is sent from <>), which it ties to the
// recipients they report on.
func (s sinkAttempts) NullSenderMessages(ctx context.Context) ([]reports.SinkMailMessage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, time_ns, rcpts, raw FROM sink_messages WHERE mail_from = '' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sink: reading the messages from the null sender: %w", err)
	}
	defer rows.Close()
	var out []reports.SinkMailMessage
	for rows.Next() {
		var m reports.SinkMailMessage
		var ns int64
		var rcpts string
		if err := rows.Scan(&m.Message, &ns, &rcpts, &m.Raw); err != nil {
			return nil, err
		}
		m.Time, m.Recipients = time.Unix(0, ns).UTC(), strings.Split(rcpts, "\n")
		out = append(out, m)
	}
	return out, rows.Err()
}

// EarlyRefusals gives reports.FromSink the sessions the sink refused
// before any RCPT TO (a 421 greeting, a rate limit's 421 to MAIL FROM):
// those of its sessions without attempts whose replies hold a refusal,
// each with its first refusal, and at MAIL the sender its transcript
// names.
func (s sinkAttempts) EarlyRefusals(ctx context.Context) ([]reports.SinkEarlyRefusal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.listener, s.start_ns, s.replies, s.transcript FROM sink_sessions s
		WHERE NOT EXISTS (SELECT 1 FROM sink_attempts a WHERE a.session_id = s.id)
			AND (s.replies LIKE '%"code":4%' OR s.replies LIKE '%"code":5%') ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("sink: reading the sessions it refused before RCPT TO: %w", err)
	}
	defer rows.Close()
	var out []reports.SinkEarlyRefusal
	for rows.Next() {
		var e reports.SinkEarlyRefusal
		var start int64
		var replies, transcript string
		if err := rows.Scan(&e.Session, &e.Listener, &start, &replies, &transcript); err != nil {
			return nil, err
		}
		var rs []struct {
			T        float64 `json:"t"`
			Stage    string  `json:"stage"`
			Code     int     `json:"code"`
			Enhanced string  `json:"enhanced"`
			Text     string  `json:"text"`
			By       string  `json:"by"`
		}
		if json.Unmarshal([]byte(replies), &rs) != nil {
			continue
		}
		for _, r := range rs {
			if r.Code < 400 || r.Stage == "rcpt" || r.Stage == "data" || r.Stage == "data-end" {
				continue
			}
			e.Time = time.Unix(0, start).Add(time.Duration(r.T * float64(time.Second))).UTC()
			e.Stage, e.Code, e.Enhanced, e.Text, e.By = r.Stage, r.Code, r.Enhanced, r.Text, r.By
			if r.Stage == "mail" {
				e.Sender = lastMailFrom(transcript)
			}
			out = append(out, e)
			break
		}
	}
	return out, rows.Err()
}

// lastMailFrom is the address of the last MAIL FROM a session's
// transcript ("0.007 C MAIL FROM:<a@b.test> SIZE=408") holds, "" for none
// or the null sender.
func lastMailFrom(transcript string) string {
	addr := ""
	for line := range strings.Lines(transcript) {
		f := strings.SplitN(strings.TrimSpace(line), " ", 3)
		if len(f) < 3 || f[1] != "C" {
			continue
		}
		if a, ok := mailFromAddr(f[2]); ok {
			addr = a
		}
	}
	return addr
}

// mailFromAddr is the address of a client's command when it is a MAIL
// FROM ("MAIL FROM:<a@b.test> SIZE=408"), "" for the null sender: what
// its angle brackets hold (a quoted local part may have spaces), or
// without them its first word.
func mailFromAddr(cmd string) (string, bool) {
	if len(cmd) < 10 || !strings.EqualFold(cmd[:10], "MAIL FROM:") {
		return "", false
	}
	arg := strings.TrimSpace(cmd[10:])
	if strings.HasPrefix(arg, "<") {
		if end := strings.IndexByte(arg, '>'); end > 0 {
			return arg[1:end], true
		}
	}
	a, _, _ := strings.Cut(arg, " ")
	return strings.Trim(a, "<>"), true
}

var _ reports.SinkEarlyRefusalSource = sinkAttempts{}
var _ reports.SinkMessageSource = sinkAttempts{}
var _ reports.SinkBounceSource = sinkAttempts{}
var _ reports.SinkDSNSource = sinkAttempts{}

// remoteAttempts reads the attempts from a running relaylab's web API.
// client has a timeout: a server that accepts and never answers must not
// hang expect.
type remoteAttempts struct {
	base, token string
	client      *http.Client
	first       *firstBytes // what the server sent first, noted by serveClient's
	// seen keeps what one judgement read for the next (expecturl.go);
	// nil reads everything again.
	seen *remoteSeen
}

func (r remoteAttempts) AllAttempts(ctx context.Context) ([]reports.SinkAttempt, error) {
	mas, err := r.AllMessageAttempts(ctx)
	return reports.WithoutMessages(mas), err
}

// AllMessageAttempts reads the attempts with the message each left, so
// that expect --url counts messages as expect --db does.
func (r remoteAttempts) AllMessageAttempts(ctx context.Context) ([]reports.SinkMessageAttempt, error) {
	atts, err := r.readAttempts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]reports.SinkMessageAttempt, 0, len(atts))
	for _, a := range atts {
		out = append(out, a.Report())
	}
	return out, nil
}

// AllBounces reads the sink's sent bounces from the serve's event log
// (its sink.bounce events), page by page.
func (r remoteAttempts) AllBounces(ctx context.Context) ([]reports.SinkBounce, error) {
	var out []reports.SinkBounce
	err := r.eachEvent(ctx, events.SinkBounce, "the sink's bounces", func(e events.Event) {
		var p struct {
			// To is where the DSN went: the bounced message's sender.
			To        string `json:"to"`
			Recipient string `json:"recipient"`
			Reply     string `json:"reply"`
			Sent      bool   `json:"sent"`
			Error     string `json:"error"`
			Skipped   string `json:"skipped"`
			Message   int64  `json:"message"`
			Relay     string `json:"relay"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			return
		}
		b := reports.SinkBounce{Recipient: cmp.Or(p.Recipient, e.Recipient), Sender: p.To, Reply: p.Reply, Time: e.Time, Message: p.Message, Relay: p.Relay}
		if !p.Sent {
			// Only a bounce's end is an event: one not sent yet has none.
			b.NotSent = bounceNotSentAt(time.Time{}, cmp.Or(p.Error, "no reason recorded"), p.Skipped, 0, "", p.Relay)
		}
		out = append(out, b)
	})
	return out, err
}

// get reads the JSON at the serve's path into v; what names it in errors.
func (r remoteAttempts) get(ctx context.Context, path, what string, v any) error {
	resp, err := r.fetch(ctx, path, what)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		// A web page, most often: a --url that is not the serve, or a
		// proxy's page in front of it.
		endpoint, _, _ := strings.Cut(path, "?")
		return fmt.Errorf("%s%s answered %s, not the JSON of relaylab's API (%v), so %s could not be read: check --url, which must be the address of a relaylab serve's web.listen, such as http://127.0.0.1:8025",
			hidePassword(r.base), endpoint, describeType(resp.Header.Get("Content-Type")), err, what)
	}
	return nil
}

// fetch asks the serve for its path and returns its answer when it is a
// 200, whose body the caller closes; what names it in errors, and an
// answer that is a 404 is a *notThere.
func (r remoteAttempts) fetch(ctx context.Context, path, what string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return nil, usageError("--url %q: %v", hidePassword(r.base), err)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.first != nil {
		r.first.reset()
	}
	resp, err := r.client.Do(req)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
		return nil, fmt.Errorf("%s did not answer the request for %s within %s (--timeout): is it a relaylab serve?", hidePassword(r.base), what, r.client.Timeout)
	}
	if g := r.first.smtpGreeting(); err != nil && g != "" {
		// net/http's "malformed HTTP status code" of a 220 greeting.
		return nil, fmt.Errorf("an SMTP server answered at %s (its greeting: %q), not relaylab's web API, so %s could not be read: that is a sink's or relay's SMTP port; give --url the URL of relaylab serve's web listener (web.listen), such as http://127.0.0.1:8025",
			hidePassword(r.base), g, what)
	}
	if err != nil {
		return nil, unreachable(hidePassword(r.base), what, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	endpoint, _, _ := strings.Cut(path, "?")
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return nil, fmt.Errorf("%s%s answered %s: %s (the serve said: %s)",
			hidePassword(r.base), endpoint, resp.Status, r.authHint(req), strings.TrimSpace(string(body)))
	case http.StatusNotFound:
		return nil, &notThere{fmt.Errorf("%s%s answered %s: %s", hidePassword(r.base), endpoint, resp.Status, strings.TrimSpace(string(body)))}
	}
	return nil, fmt.Errorf("%s%s answered %s: %s", hidePassword(r.base), endpoint, resp.Status, strings.TrimSpace(string(body)))
}

// notThere is the serve's 404: what was asked for is not there (a
// message or session deleted since the attempts were read).
type notThere struct{ error }

// describeType names an answer by its Content-Type, in words.
func describeType(ct string) string {
	if ct == "" {
		return "something without a Content-Type"
	}
	mt, _, _ := strings.Cut(ct, ";")
	if strings.TrimSpace(mt) == "text/html" {
		return "a web page (text/html)"
	}
	return strings.TrimSpace(mt)
}

// serveBase is the address of the serve that --url names, to which the
// API's paths (/api/v1/...) are added: the scheme, user, host and any
// path before the API's, so that http://127.0.0.1:8025/ and
// http://127.0.0.1:8025/api/v1 ask the same endpoints.
func serveBase(raw string) (string, error) {
	u, err := neturl.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if fix, shown := urlFix(raw); fix != "" {
			return "", fmt.Errorf("--url %q: want the URL of a relaylab serve's web listener (web.listen), which begins http:// (or https://): --url %s", shown, fix)
		}
		return "", fmt.Errorf("--url %q: want the address of a relaylab serve, such as http://127.0.0.1:8025", hidePassword(raw))
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("--url %q: port %s is not a port (1 to 65535): give the address of a relaylab serve, such as http://127.0.0.1:8025", hidePassword(raw), port)
		}
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("--url %q has a query or fragment (after ? or #), which expect cannot add the API's paths to: give the serve's address alone, such as %s://%s", hidePassword(raw), u.Scheme, u.Host)
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/api/v1")
	u.Path, u.RawPath = strings.TrimRight(p, "/"), ""
	return u.String(), nil
}

// unreachable says that the serve at base could not be asked for what,
// in words rather than net/http's (Get "URL": dial tcp ADDR: connect:
// connection refused).
func unreachable(base, what string, err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return serveGoneError{fmt.Errorf("nothing listens at %s (the connection was refused), so %s could not be read: relaylab serve must be running there; start it, or give --url the address of its web.listen", base, what)}
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return fmt.Errorf("could not reach %s to read %s: %v: relaylab serve must be running there, at the address of its web.listen", base, what, err)
}

// serveGoneError is unreachable's error when nothing listens at the
// serve's address (the connection was refused), on which expect --wait
// stops waiting: a serve that has stopped does not come back by itself.
type serveGoneError struct{ error }

func (e serveGoneError) Unwrap() error { return e.error }

var (
	_ reports.SinkMessageSource      = remoteAttempts{}
	_ reports.SinkBounceSource       = remoteAttempts{}
	_ reports.SinkDSNSource          = remoteAttempts{}
	_ reports.SinkEarlyRefusalSource = remoteAttempts{}
	_ reports.EventSource            = remoteEvents{}
)

// remoteEvents reads the relay's events from a running relaylab serve's
// event log, for reports.Load: expect reads the holds of the relay's
// shaping from them (reports.Data.AddRelayHolds).
type remoteEvents struct{ remoteAttempts }

func (r remoteEvents) Events(ctx context.Context, f events.Filter) ([]events.Event, error) {
	var page struct {
		Events []events.Event `json:"events"`
	}
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	if err := r.get(ctx, fmt.Sprintf("/api/v1/events?kind=relay.&limit=%d&after=%d", limit, f.AfterID), "the relay's events", &page); err != nil {
		return nil, err
	}
	// Only those after f.AfterID: reports.Load reads pages until an
	// empty one, which a server that ignored after= would never give.
	out := page.Events[:0]
	for _, e := range page.Events {
		if e.ID > f.AfterID {
			out = append(out, e)
		}
	}
	return out, nil
}

// authHint says what to do when the serve wants credentials: expect sends
// $RELAYLAB_TOKEN as a bearer token, and net/http sends the user and
// password of a --url like http://USER:PASSWORD@host:port as basic auth.
func (r remoteAttempts) authHint(req *http.Request) string {
	hostport := req.URL.Host
	switch {
	case r.token != "":
		return "the serve did not take $RELAYLAB_TOKEN: set RELAYLAB_TOKEN to the serve's web.token, exactly"
	case req.URL.User != nil:
		return "the serve did not take the user and password in --url: give web.user and web.password, or set RELAYLAB_TOKEN to the serve's web.token"
	}
	return "set RELAYLAB_TOKEN to the serve's web.token (or pass web.user and web.password in the URL: --url http://USER:PASSWORD@" + hostport + ")"
}

// hidePassword hides a password given in --url from messages (configcmd's
// config.RedactURL hides a webhook's path too, which here would hide the serve).
func hidePassword(s string) string {
	if u, err := neturl.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// restWatch is the relay's record as reports.Load reads it, noting on
// the way the last attempt of each of the relay's recipients and the
// rest of its destination that the attempt's reply began (a 421 or a
// rate limit: the relay.attempt's "rest"), which reports.Data does not
// keep. The recipient whose reply began a rest waits for its end as the
// mail the rest holds does, and is told so the same way (addRests).
type restWatch struct {
	reports.EventSource
	// last is each relay recipient's last attempt, by its message and
	// address (lowercased).
	last map[[2]string]attemptRest
}

// attemptRest is a relay attempt and the rest its reply began, if any.
type attemptRest struct {
	time        time.Time
	path        string
	reply       string
	destination string
	until       time.Time
}

func (w *restWatch) Events(ctx context.Context, f events.Filter) ([]events.Event, error) {
	evs, err := w.EventSource.Events(ctx, f)
	if w.last == nil {
		w.last = map[[2]string]attemptRest{}
	}
	for _, e := range evs {
		if e.Kind != events.RelayAttempt {
			continue
		}
		var p struct {
			Reply relay.Reply `json:"reply"`
			Rest  *struct {
				Destination string    `json:"destination"`
				Until       time.Time `json:"until"`
			} `json:"rest"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		a := attemptRest{time: e.Time, path: e.Path, reply: p.Reply.String()}
		if p.Rest != nil {
			a.destination, a.until = p.Rest.Destination, p.Rest.Until
		}
		w.last[[2]string{e.Message, strings.ToLower(e.Recipient)}] = a
	}
	return evs, err
}

var _ reports.EventSource = (*restWatch)(nil)

// addRests gives a recipient of d, a sink's record, that the sink
// deferred with the reply that made the relay rest its destination (the
// relay's recipient of the address is not final and its last attempt
// began the rest) a hold until the rest ends, as AddRelayHolds gives the
// others the rest holds: the relay tries it again only then, so a check
// that judges before then cannot see it delivered, and its failure says
// so (the held line, its end, and what to do) rather than only the
// reply's "it is retried later". One held already after its last attempt
// (a later rest) keeps that hold alone.
func (w *restWatch) addRests(d, rel *reports.Data) {
	if rel == nil {
		return
	}
	rests := map[string]attemptRest{}
	for _, r := range rel.Recipients {
		a, ok := w.last[[2]string{r.Message, strings.ToLower(r.Address)}]
		if r.Final() || !ok || a.until.IsZero() {
			continue
		}
		k := strings.ToLower(r.Address)
		if b, seen := rests[k]; !seen || b.time.Before(a.time) {
			rests[k] = a
		}
	}
	for _, r := range d.Recipients {
		a, ok := rests[strings.ToLower(r.Address)]
		if !ok || r.Final() || len(r.Attempts) == 0 {
			continue
		}
		last := r.Attempts[len(r.Attempts)-1].Time
		// The sink saw a try after the one that began the rest, or the
		// recipient is held already since its last try.
		if last.After(a.time) || len(r.Holds) > 0 && !r.Holds[len(r.Holds)-1].Time.Before(last) {
			continue
		}
		r.Holds = append(r.Holds, reports.Hold{Time: a.time, Path: a.path, Category: "destination-backoff", Until: a.until,
			Text: "destination " + a.destination + " rests until " + a.until.UTC().Format(time.RFC3339) + " after its own " + a.reply + "; the relay tries it again when the rest ends"})
	}
}
