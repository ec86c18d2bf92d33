package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/reports"
)

// expectPoll is how often expect --wait looks at the record again.
const expectPoll = time.Second

// waitForVerdicts judges, and with wait > 0 judges again every expectPoll
// until every expectation's recipients are final (settled), or wait has
// passed; it returns the last verdicts. duesKnown says that the record
// has the sink's bounces still due (a store's does, the API's not), so
// that a delivered recipient with none has none coming (unsettled). Verdicts that pass do not end the
// wait while a recipient is not final: "attempts: 1" holds after a first
// deferral and fails after the retry. A judgement that fails while it
// waits (a store busy with the sink's writes) is tried again at the next
// look; the last one's error is returned when the time is up. A serve
// that no longer listens (serveGoneError) ends the wait at once. When the
// wait runs out, the records still deferred say so in their advice
// (reports.Data.WaitRanOut), and rejudge, if given, judges the record
// again with it: "nothing; it is retried" would read as if waiting had
// been enough.
func waitForVerdicts(ctx context.Context, e *env, clk clock.Clock, wait time.Duration, files []*expectFile, duesKnown bool,
	judge func() ([]reports.Verdict, *reports.Data, error), rejudge func(*reports.Data) []reports.Verdict) ([]reports.Verdict, error) {
	vs, d, err := judge()
	if err != nil || wait <= 0 {
		return vs, err
	}
	start := clk.Now()
	var lastErr error
	var quiet map[string]bool // delivered with no bounce, at the last look
	for {
		pending := "the record could not be read"
		if lastErr == nil {
			var noBounce map[string]bool
			if pending, noBounce = unsettled(files, d, quiet); pending == "" {
				return vs, nil
			}
			if duesKnown {
				quiet = noBounce
			}
		}
		left := wait - clk.Now().Sub(start)
		if left <= 0 {
			if lastErr != nil {
				return nil, lastErr
			}
			fmt.Fprintf(e.stderr, "relaylab expect: waited %s (--wait) and %s: judging the record as it is\n", wait, pending)
			if rejudge != nil {
				d.WaitRanOut(wait, clk.Now())
				vs = rejudge(d)
			}
			// The verdicts say so too, in every output (JUnit's
			// system-out and failures, the JSON's notes): a failure that
			// a longer wait might have turned is told from one it would
			// not.
			note := reports.WaitNote(wait, pending)
			for i := range vs {
				vs[i].Notes = append(vs[i].Notes, note)
			}
			return vs, nil
		}
		t := clk.NewTimer(min(expectPoll, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err() // runExpect says it was interrupted
		case <-t.C():
		}
		nvs, nd, err := judge()
		if errors.As(err, new(serveGoneError)) {
			// The serve stopped listening while expect waited (it was
			// stopped, or it crashed): looking on until --wait runs out
			// would hold the CI job for minutes, to end with this error.
			return nil, fmt.Errorf("%w (it stopped listening %s into --wait %s, and expect stopped waiting)", err, clk.Now().Sub(start).Round(time.Second), wait)
		}
		if lastErr = err; err == nil {
			vs, d = nvs, nd
		}
	}
}

// unsettled says what a wait still waits for: every recipient
// expectation that matches no recipient yet, or fewer than its count,
// then recipients that are not final (their sender may try again); ""
// when there is none. An expectation of absence (count: 0) waits for
// nothing, and a recipient in the status its expectation asks for
// (status: deferred) is settled; one that waits for fewer recipients
// than its count, or for a DSN that may still come (a late bounce due,
// or one the relay has yet to pass on), is not. Records that the relay
// of the same store will never send, as its suppression list stops
// their address (reports.Data.SuppressedFor), are not waited for, up to
// their number: the verdict's note says why they are missing.
//
// A recipient the sink delivered with no bounce of it recorded is waited
// for at one look only: the sink records a bounce it will send before its
// 250 to the data, so one still without a bounce at the next look (in
// quiet, which the previous look returned) has none coming.
func unsettled(files []*expectFile, d *reports.Data, quiet map[string]bool) (string, map[string]bool) {
	var missing, open []string
	seen := map[*reports.Recipient]bool{}
	noBounce := map[string]bool{}
	// Messages the sink refused with a 5xx at MAIL FROM are final: no
	// sender sends them again, so the records they would have made are
	// not waited for, up to their number.
	refused := d.RefusedForGood()
	for _, x := range files {
		for _, want := range x.Expect.Recipients {
			if want.Count.Set && want.Count.Max == 0 {
				continue
			}
			matched := 0
			for _, r := range d.Recipients {
				if !reports.MatchAddress(want.Match, r.Address) || (want.Message != "" && !reports.Glob(want.Message, r.Message)) {
					continue
				}
				matched++
				if !r.Final() && (want.Status == "" || r.Status != want.Status) && !seen[r] {
					seen[r] = true
					open = append(open, r.Address+" is "+r.Status+" (not final)")
				}
				if (want.DSN == "sent" || want.DSNStatus != "") && !r.DSN && !neverSent(r) && !seen[r] {
					if d.FromSink && r.Status == "delivered" && r.DSNNotSent == "" {
						k := r.Address + "\x00" + r.Sender + "\x00" + r.Message
						if noBounce[k] = true; quiet[k] {
							continue
						}
					}
					seen[r] = true
					open = append(open, r.Address+" has no DSN from the sink yet")
				}
				if wantsSenderDSN(want, r) && !seen[r] {
					seen[r] = true
					open = append(open, r.Address+" has no DSN from the sender's MTA yet")
				}
			}
			// Sessions the sink refused before RCPT TO name no
			// recipient: say so, or the wait reads as a sender that
			// sent nothing.
			// The verdict's note says the whole of it; the wait refers to it.
			early := ""
			if ref := d.EarlyRefusalRef(); ref != "" {
				early = " (" + ref + ")"
			}
			least := 1
			if want.Count.Set {
				least = want.Count.Min
			}
			short := least - matched
			if short > 0 && short <= refused {
				refused -= short
				continue
			}
			if short > 0 && short <= d.SuppressedFor(want.Match) {
				continue
			}
			if matched == 0 {
				missing = append(missing, fmt.Sprintf("no record matches %q yet%s", want.Match, early))
			} else if want.Count.Set && matched < want.Count.Min {
				missing = append(missing, fmt.Sprintf("%d of the %d records %q asks for match so far%s", matched, want.Count.Min, want.Match, early))
			}
		}
	}
	// Every expectation still short of records is named; of the
	// records not final, a few.
	const shown = 3
	more := ""
	if len(open) > shown {
		more, open = fmt.Sprintf(" and %d more", len(open)-shown), open[:shown]
	}
	return strings.Join(append(missing, open...), ", ") + more, noBounce
}

// wantsSenderDSN reports whether want waits for a DSN from the sender's
// MTA that r has not had yet: sender_dsn names an action (or
// sender_dsn_status asks for one) and no DSN of r's from the sender has
// it. The sender writes one when it gives up or warns of a delay, which
// comes after the sink's last reply, so a recipient final at the sink
// (refused with a 5xx) still waits for it.
func wantsSenderDSN(want reports.RecipientExpectation, r *reports.Recipient) bool {
	if want.SenderDSN == "none" || want.SenderDSN == "" && want.SenderDSNStatus == "" {
		return false
	}
	for _, x := range r.SenderDSNs {
		if want.SenderDSN == "" || x.Action == want.SenderDSN {
			return false
		}
	}
	return true
}

// neverSent reports whether r's DSN will not come however long expect
// waits: the sink skipped its bounce (NOTIFY ruled it out), or the sink
// refused r (a 5xx at RCPT, to the data, or at the greeting) and has no
// bounce of it due. A DSN expect judges is the sink's own bounce of a
// message it accepted (an asynchronous bounce): for a recipient it
// refused, the sender's own MTA writes the DSN, if any, which the sink
// receives as mail to the sender's address. One that failed to go out is
// tried again, a minute apart (bounceNotSent).
func neverSent(r *reports.Recipient) bool {
	return strings.HasPrefix(r.DSNNotSent, "it did not send") || r.Status == "bounced" && r.DSNNotSent == ""
}

// scenarioKeys are the top-level keys of a scenario (relaylab replay) that
// an expect file has not.
var scenarioKeys = []string{"messages", "seed", "clock", "sink", "relay", "dns", "description"}

// loadExpectFile reads an expect file, with every problem its checks find
// (reports.LocateAll); a scenario given instead is told to go to relaylab
// replay, rather than met with its first unknown key.
func loadExpectFile(path string) (*expectFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	x := &expectFile{NameKey: &path, file: path, data: data}
	err = config.Decode(path, data, x)
	x.data = nil
	if err == nil {
		return x, nil
	}
	err = reports.LocateAll(path, data, reports.PlaceHint(err, "expect"), x.more)
	var top map[string]any
	if config.CheckShape(path, data) != nil || config.Unmarshal(data, &top) != nil {
		return nil, err
	}
	var has []string
	for _, k := range scenarioKeys {
		if _, ok := top[k]; ok {
			has = append(has, k+":")
		}
	}
	if len(has) == 0 {
		return nil, err
	}
	return nil, fmt.Errorf("%w; %s looks like a scenario (it has %s): run it with relaylab replay %s, which sends its messages and judges them; "+
		"expect judges what a sink recorded from a sender it did not run, with a file of name: and expect: only", err, path, strings.Join(has, " "), path)
}
