package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestWC26HeldStateInHeadings: a recipient the relay's shaping holds at
// the end of its record (its destination rests after another message's
// 421, and no attempt came after the hold) is headed as held, with the
// hold's end, in the text report, in the Markdown's and the HTML's
// status column, in a JUnit failure's message and in the states a clock
// limit names. Before, each read "deferred", as if a server had asked it
// to wait, with no hint in its heading that the relay held it back.
func TestWC26HeldStateInHeadings(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	until := t0.Add(5 * time.Minute)
	rest := map[string]any{"category": "destination-backoff", "next_attempt": until,
		"reason": "nothing was sent to this recipient; its destination rests",
		"reply":  rep("shaping", 0, "", "not tried: destination path:sink:rest.test rests until "+until.Format(time.RFC3339)+" after 421 4.7.0 later")}
	greylisted := map[string]any{"category": "greylisted", "reason": "greylisted", "next_attempt": t0.Add(time.Minute), "reply": rep("rcpt", 451, "4.7.1", "greylisted")}
	b.add(0, events.RelayQueued, "m1", "never@rest.test", nil)
	b.add(1, events.RelayDeferred, "m1", "never@rest.test", rest)
	b.add(0, events.RelayQueued, "m2", "tried@rest.test", nil)
	b.add(0, events.RelayAttempt, "m2", "tried@rest.test", map[string]any{"attempt": 1, "host": "127.0.0.1", "reply": rep("rcpt", 451, "4.7.1", "greylisted")})
	b.add(0, events.RelayDeferred, "m2", "tried@rest.test", greylisted)
	b.add(2, events.RelayDeferred, "m2", "tried@rest.test", rest)
	d := b.load()
	wantNever := "held by the relay's shaping until " + until.Format(time.RFC3339)
	var text, md, junit, html bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&junit, "s", d); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"text, never tried", text.String(), "never@rest.test (message m1): " + wantNever},
		// Deferred by a server, then held: the heading keeps the
		// deferral, and its why tells of the hold.
		{"text, tried", text.String(), "tried@rest.test (message m2): deferred, greylisted\n  why: greylisted; now " + wantNever},
		{"markdown", md.String(), "| " + wantNever + " |"},
		{"junit", junit.String(), "not delivered: " + strings.ReplaceAll(wantNever, "'", "&#39;")},
		{"html", html.String(), ">" + strings.ReplaceAll(wantNever, "'", "&#39;") + "</td>"},
		{"limit states", RecipientStates(d.Recipients, 5), "never@rest.test (message m1): " + wantNever},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%s lacks %q:\n%s", c.name, c.want, c.got)
		}
	}
	if strings.Contains(text.String(), "never@rest.test (message m1): deferred") {
		t.Errorf("the text heads a recipient only held as deferred:\n%s", text.String())
	}
	// The JSON keeps the relay's status, which expectations judge.
	if d.Recipients[0].Status != "deferred" {
		t.Errorf("status %q, want deferred kept for the JSON and expectations", d.Recipients[0].Status)
	}
}

// TestWC26HandHoldOnSinkRecord: on a sink's record, whose recipients
// the relay's holds are added to (AddRelayHolds), a recipient the sink
// deferred and that an operator then held by hand keeps the sink's
// "deferred", and its why says it is held by hand, by whom and since
// when. Before, nothing but a held line in its timeline said so, and
// the why read as if the sender would retry it.
func TestWC26HandHoldOnSinkRecord(t *testing.T) {
	t.Parallel()
	held := t0.Add(3 * time.Minute)
	r := &Recipient{Address: "a@x.test", Status: "deferred", Queued: t0, fromSink: true,
		Attempts: []Attempt{{Time: t0, Try: 1, Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "later"}},
		Holds:    []Hold{{Time: held, Category: handHold, Text: "held by ops: not tried, and not expired, until released"}}}
	reason, _ := r.why()
	if want := "; now held by hand (relaylab queue hold) since " + held.Format(time.RFC3339) + ": held by ops"; !strings.Contains(reason, want) {
		t.Errorf("why %q lacks %q", reason, want)
	}
	if got := r.state(); got != "deferred" {
		t.Errorf("state %q, want deferred: the sink deferred it, and why tells of the hold", got)
	}
	// Never tried, held by hand: the heading says so.
	r.Attempts, r.Status, r.fromSink = nil, "held", false
	if got, want := r.state(), "held by hand (relaylab queue hold) since "+held.Format(time.RFC3339); got != want {
		t.Errorf("state %q, want %q", got, want)
	}
}
