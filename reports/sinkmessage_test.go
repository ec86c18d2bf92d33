package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestFromSinkNamesMessages: a sink recipient's message is the sink's
// number for the one its last attempt left, so that the CSV's message
// column (empty before), the text's label and the JSON name it; a last
// attempt that left none names none, not an earlier message its status
// is not about.
func TestFromSinkNamesMessages(t *testing.T) {
	t.Parallel()
	at := func(min int, rcpt, stage string, code int, msg int64) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(min) * time.Minute), Listener: "mx",
			Client: "127.0.0.1", Recipient: rcpt, Stage: stage, Code: code}}
	}
	d, err := FromSink(context.Background(), fakeMessageSink{
		at(0, "a@x.test", "rcpt", 451, 0), at(5, "a@x.test", "data-end", 250, 3),
		at(1, "b@x.test", "data-end", 552, 4),
		at(2, "c@x.test", "rcpt", 550, 0),
		at(3, "d@x.test", "data-end", 250, 5), at(9, "d@x.test", "rcpt", 550, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	var csv, text, js bytes.Buffer
	for _, w := range []struct {
		f   string
		buf *bytes.Buffer
	}{{"csv", &csv}, {"text", &text}, {"json", &js}} {
		if err := Write(w.buf, w.f, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ name, out, want string }{
		{"csv", csv.String(), "\n3,a@x.test,x.test,delivered,mx,"},
		{"csv", csv.String(), "\n4,b@x.test,x.test,bounced,mx,"},
		{"csv", csv.String(), "\n,c@x.test,x.test,bounced,mx,"},
		{"csv", csv.String(), "\n,d@x.test,x.test,bounced,mx,"},
		{"text", text.String(), "\nb@x.test (message 4): bounced, unclassified\n"},
		{"text", text.String(), "\nd@x.test: bounced, unclassified\n"},
		{"json", js.String(), `"message": "4",`},
	} {
		if !strings.Contains(c.out, c.want) {
			t.Errorf("%s lacks %q:\n%s", c.name, c.want, c.out)
		}
	}
	x, err := decodeExp(t, "recipients:\n  - {match: \"*\", message: \"4\", status: bounced, count: 1}\n")
	if err != nil {
		t.Fatal(err)
	}
	if r := Evaluate(d, x); !r[0].Pass {
		t.Errorf("message: \"4\" does not pick the sink's message 4: %s", r[0].Message)
	}
}
