package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestMarkdownListsEveryUndelivered: the Markdown's "Not delivered" table
// (a CI job's step summary) lists deferred and queued recipients too, as
// the text does; it listed bounced, expired and suppressed ones only, and
// had no table at all when the only undelivered mail was deferred.
func TestMarkdownListsEveryUndelivered(t *testing.T) {
	t.Parallel()
	d := &Data{Recipients: []*Recipient{
		{Address: "ok@x.test", Status: "delivered", Queued: t0, Attempts: []Attempt{{Time: t0, Code: 250, Enhanced: "2.0.0", Text: "ok"}}},
		{Address: "grey@x.test", Status: "deferred", Queued: t0, Attempts: []Attempt{{Time: t0.Add(time.Minute), Code: 451, Enhanced: "4.7.1", Text: "greylisted"}}},
		{Address: "new@x.test", Status: "queued", Queued: t0},
	}}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"### Not delivered", "| grey@x.test | deferred |  | 451 4.7.1 greylisted |", "| new@x.test | queued |  |  |"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| ok@x.test |") {
		t.Errorf("markdown lists the delivered recipient as not delivered:\n%s", out)
	}
}

// TestMarkdownNamesTheMessage: two messages to one address that both
// failed are two rows the reader can tell apart, by message (or, on a
// sink's record refused before the data, by session), as the text says
// them; the table named the address alone.
func TestMarkdownNamesTheMessage(t *testing.T) {
	t.Parallel()
	d := &Data{Recipients: []*Recipient{
		{Message: "m1", Address: "a@x.test", Status: "bounced", Queued: t0, Attempts: []Attempt{{Time: t0, Code: 550, Enhanced: "5.1.1", Text: "no such user"}}},
		{Message: "m2", Address: "a@x.test", Status: "deferred", Queued: t0, Attempts: []Attempt{{Time: t0, Code: 451, Enhanced: "4.7.1", Text: "greylisted"}}},
		{Session: 12, Address: "b@x.test", Sender: "s@y.test", Status: "bounced", Queued: t0, Attempts: []Attempt{{Time: t0, Code: 550, Enhanced: "5.7.1", Text: "refused"}}},
	}}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| a@x.test (message m1) | bounced |", "| a@x.test (message m2) | deferred |", "| b@x.test (from s@y.test, session 12) | bounced |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}
