package web

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// fq24AttemptsSink holds 2,500 attempts, those to three spellings of
// defer2+you@example.test at ids 3, 1500 and 2400 (more than one read of
// the sink, attemptScan, apart), the others to other addresses, one of
// them a longer address that contains the recipient.
func fq24AttemptsSink() *attemptsSink {
	sink := &attemptsSink{fakeSink: newFakeSink()}
	for i := 1; i <= 2500; i++ {
		r := "other" + itoa(int64(i)) + "@example.test"
		switch i {
		case 3:
			r = "defer2+you@example.test"
		case 1500:
			r = "DEFER2+you@Example.TEST"
		case 2400:
			r = "defer2+you@EXAMPLE.test"
		case 2000:
			r = "xdefer2+you@example.test"
		}
		sink.add(r, testEpoch.Add(time.Duration(i)*time.Second))
	}
	return sink
}

// fq24Short is the ids (or recipients) of an answer for a failure's
// message: those of a wrong answer of thousands cut to the first few.
func fq24Short(list string) string {
	parts := strings.Split(list, ",")
	if len(parts) <= 5 {
		return list
	}
	return strings.Join(parts[:5], ",") + fmt.Sprintf(",... (%d in all)", len(parts))
}

// fq24Next is an answer's next for a failure's message.
func fq24Next(a attemptsAnswer) string {
	if a.Next == nil {
		return "none"
	}
	return *a.Next
}

// TestSinkAttemptsRecipient: /api/v1/sink/attempts?recipient= keeps the
// attempts to that address, its ASCII letters in any case as the events'
// recipient= matches: all of them at once, or a page of them whose next
// goes on among them, across reads of the sink; from a sink that cannot
// page too. An address the events' recipient= refuses is a 400 here as
// well, saying why; without one, every attempt is listed.
func TestSinkAttemptsRecipient(t *testing.T) {
	t.Parallel()
	sink := fq24AttemptsSink()
	ts := startServer(t, Options{Sink: pagedAttemptsSink{sink}})
	const q = "?recipient=Defer2%2Byou@example.TEST"

	all := getAttempts(t, ts.url, q)
	if got, want := all.ids(), "3,1500,2400"; got != want || all.Next != nil {
		t.Errorf("every attempt to the recipient: ids %s next %s, want %s (every spelling, by time, not xdefer2+you) without next", fq24Short(got), fq24Next(all), want)
	}

	for _, c := range []struct{ query, ids, next string }{
		{"&limit=2", "2400,1500", "1500"},       // newest first
		{"&limit=2&before=1500", "3", "none"},   // the page after it
		{"&limit=1&after=0", "3", "3"},          // oldest first
		{"&limit=5&after=1500", "2400", "none"}, // the rest of those
		{"&limit=5&before=3", "", "none"},       // none before the first
	} {
		a := getAttempts(t, ts.url, q+c.query)
		if got := a.ids(); got != c.ids || fq24Next(a) != c.next {
			t.Errorf("%s: ids %s next %s, want ids %q next %s", c.query, fq24Short(got), fq24Next(a), c.ids, c.next)
		}
	}

	// A sink that gives its attempts all at once.
	whole := startServer(t, Options{Sink: sink})
	if got := getAttempts(t, whole.url, q).recipients(); got != "defer2+you@example.test,DEFER2+you@Example.TEST,defer2+you@EXAMPLE.test" {
		t.Errorf("from a sink that cannot page: %s, want the three spellings by time", fq24Short(got))
	}

	if n := len(getAttempts(t, ts.url, "").Attempts); n != 2500 {
		t.Errorf("without recipient=: %d attempts, want all 2500", n)
	}

	for _, c := range []struct{ query, want string }{
		{"?recipient=defer2+you@example.test", "%2B"}, // a + the query made a space
		{"?recipient=defer2", "not an address"},
		{"?recipient=defer2&limit=5", "not an address"},
	} {
		code, _, body := do(t, "GET", ts.url+"/api/v1/sink/attempts"+c.query, "")
		if code != 400 {
			t.Errorf("%s: %d %.200s, want a 400", c.query, code, body)
			continue
		}
		e := wantAPIError(t, body)
		if e.Error != "bad recipient" || !strings.Contains(e.Detail, "recipient=") || !strings.Contains(e.Detail, c.want) {
			t.Errorf("%s: %+v, want \"bad recipient\" with a detail that names recipient= and says %q", c.query, e, c.want)
		}
	}
}
