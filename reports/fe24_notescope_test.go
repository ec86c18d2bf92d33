package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// sharedSinkStore is a sink's store that several tests mailed: two
// addresses with a piece that is no directive (greylist5min, delay30sec)
// and a plain one, a@x.test, each accepted from app@qa.test.
func sharedSinkStore(t *testing.T) *Data {
	t.Helper()
	var src fakeMessageSink
	for i, c := range []struct{ rcpt, piece string }{{"greylist5min@x.test", "greylist5min"}, {"delay30sec@y.test", "delay30sec"}, {"a@x.test", ""}} {
		text := "2.1.5 Ok"
		if c.piece != "" {
			text += `; "` + c.piece + `" is not a directive: did you mean ` + strings.TrimSuffix(strings.TrimSuffix(c.piece, "in"), "ec") + `?; taken as a plain name`
		}
		at := SinkAttempt{Time: t0.Add(time.Duration(i) * time.Minute), Listener: "mx", Client: "127.0.0.1:1", Sender: "app@qa.test", Recipient: c.rcpt}
		rcpt, end := at, at
		rcpt.Stage, rcpt.Code, rcpt.Text = "rcpt", 250, text
		end.Stage, end.Code, end.Text = "data-end", 250, "2.0.0 Message accepted"
		src = append(src, SinkMessageAttempt{Message: int64(i + 1), SinkAttempt: rcpt}, SinkMessageAttempt{Message: int64(i + 1), SinkAttempt: end})
	}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestVerdictNotesAreItsOwn: expect against a shared store printed the
// sink's note on greylist5min@x.test in every verdict, about any
// address. A verdict carries the notes of the records its expectations
// matched (or, matching none, of the address its did-you-mean names),
// and counts the others in one line pointing at relaylab report, which
// lists them.
func TestVerdictNotesAreItsOwn(t *testing.T) {
	t.Parallel()
	d := sharedSinkStore(t)
	const grey, delay = `sink: "greylist5min" in greylist5min@x.test is not a directive`, `sink: "delay30sec" in delay30sec@y.test is not a directive`
	for _, c := range []struct {
		name        string
		match       string
		want, wantN []string
	}{
		{"another address", "a@x.test", nil, []string{grey, delay}},
		{"its own address", "greylist5min@x.test", []string{grey}, []string{delay}},
		{"a glob over both", "*@*.test", []string{grey, delay}, nil},
		{"a slip for it", "greylist5mln@x.test", []string{grey, `(did you mean "greylist5min@x.test"?)`}, []string{delay}},
	} {
		v := NewVerdict(c.name, "e.yaml", d, Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: c.match}}}))
		var out bytes.Buffer
		WriteVerdicts(&out, []Verdict{v})
		for _, want := range c.want {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: the verdict lacks %q:\n%s", c.name, want, out.String())
			}
		}
		for _, bad := range c.wantN {
			if strings.Contains(out.String(), bad) {
				t.Errorf("%s: the verdict has the note of an address it does not judge, %q:\n%s", c.name, bad, out.String())
			}
		}
		other := ""
		switch len(c.wantN) {
		case 1:
			other = "note  sink: 1 more near-miss directive in the store, in records these expectations did not match: relaylab report lists it"
		case 2:
			other = "note  sink: 2 more near-miss directives in the store, in records these expectations did not match: relaylab report lists them"
		}
		if other != "" && !strings.Contains(out.String(), other) {
			t.Errorf("%s: the verdict does not count the other notes (want %q):\n%s", c.name, other, out.String())
		}
		if other == "" && strings.Contains(out.String(), "more near-miss") {
			t.Errorf("%s: the verdict counts other notes where there are none:\n%s", c.name, out.String())
		}
	}
	// What the verdicts point at: relaylab report lists every note.
	var report bytes.Buffer
	if err := WriteText(&report, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{grey, delay} {
		if !strings.Contains(report.String(), "note ") || !strings.Contains(report.String(), want) {
			t.Errorf("the report does not list the note %q:\n%s", want, report.String())
		}
	}
}

// TestReplayVerdictKeepsEveryNote: a replay's record is its scenario's
// mail alone, so its verdict keeps every note of the sink's, matched or
// not, as before.
func TestReplayVerdictKeepsEveryNote(t *testing.T) {
	t.Parallel()
	d := sharedSinkStore(t)
	d.FromSink = false
	v := NewVerdict("replay", "s.yaml", d, Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "a@x.test"}}}))
	if all := strings.Join(v.Notes, "\n"); len(v.Notes) != 2 || !strings.Contains(all, "greylist5min") || !strings.Contains(all, "delay30sec") {
		t.Errorf("a replay's verdict notes %q, want both of the sink's notes", v.Notes)
	}
}
