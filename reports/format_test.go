package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestNoEmptyMessageID: a sink's recipients have no message id; the text,
// HTML and expectation outputs leave it out rather than print "(message )".
func TestNoEmptyMessageID(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := &Data{Recipients: []*Recipient{
		{Address: "a@x.test", Status: "bounced", Queued: q, Attempts: []Attempt{{Time: q, Code: 550, Text: "no"}}},
		{Address: "b@x.test", Message: "m1", Status: "bounced", Queued: q, Attempts: []Attempt{{Time: q, Code: 550, Text: "no"}}},
	}}
	var text, html bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "*", Status: "delivered"}}})
	for _, c := range []struct{ name, out, want, bad string }{
		{"text", text.String(), "\na@x.test: bounced", "(message )"},
		{"text", text.String(), "\nb@x.test (message m1): bounced", "(message )"},
		{"html", html.String(), "<small>message m1</small>", "message </small>"},
		{"expect", res[0].Message, "a@x.test: expected status delivered", "(message )"},
		{"expect", res[0].Message, "b@x.test (message m1): expected status delivered", "(message )"},
	} {
		if !strings.Contains(c.out, c.want) || strings.Contains(c.out, c.bad) {
			t.Errorf("%s output: want %q and no %q in\n%s", c.name, c.want, c.bad, c.out)
		}
	}
}
