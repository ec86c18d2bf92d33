package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"strings"
	"testing"
	"time"
)

// TestSinkRecipientNamedBySession: a recipient the sink refused before
// the data left no message; it is named by its session ("session 12")
// alike in the text, HTML and JUnit (classname "session.12"), with
// "session" in the JSON and the CSV, instead of classname="message." and
// an empty message that named nothing. A recipient with a message keeps
// it as its name.
func TestSinkRecipientNamedBySession(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), fakeMessageSink{
		{SinkAttempt: SinkAttempt{Time: t0, Listener: "mx", Client: "127.0.0.1:4000", Recipient: "gone@x.test", Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such user", Session: 12}},
		{SinkAttempt: SinkAttempt{Time: t0.Add(time.Second), Listener: "mx", Client: "127.0.0.1:4001", Recipient: "ok@x.test", Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "Message accepted as 3", Session: 13}, Message: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range []string{"text", "html", "junit", "json", "csv"} {
		var b bytes.Buffer
		if err := Write(&b, f, d); err != nil {
			t.Fatal(err)
		}
		out[f] = html.UnescapeString(b.String())
	}
	for _, c := range []struct{ format, want string }{
		{"text", "\ngone@x.test (session 12): bounced, invalid-recipient\n"},
		{"html", "gone@x.test<br><small>session 12</small>"},
		{"html", "ok@x.test<br><small>message 3</small>"},
		{"junit", `<testcase name="gone@x.test" classname="session.12">`},
		{"junit", `<testcase name="ok@x.test" classname="message.3">`},
	} {
		if !strings.Contains(out[c.format], c.want) {
			t.Errorf("%s lacks %q:\n%s", c.format, c.want, out[c.format])
		}
	}
	if strings.Contains(out["junit"], `classname="message."`) {
		t.Errorf("junit still has an empty message's classname:\n%s", out["junit"])
	}
	var v struct {
		Recipients []map[string]any `json:"recipients"`
	}
	if err := json.Unmarshal([]byte(out["json"]), &v); err != nil {
		t.Fatal(err)
	}
	if s, _ := v.Recipients[0]["session"].(float64); s != 12 || v.Recipients[0]["message"] != "" {
		t.Errorf("json: gone@x.test has message %v, session %v; want \"\" and 12", v.Recipients[0]["message"], v.Recipients[0]["session"])
	}
	rows := csvRows(t, d)
	if rows[0]["session"] != "12" || rows[0]["message"] != "" || rows[1]["session"] != "13" || rows[1]["message"] != "3" {
		t.Errorf("csv rows %v; want session 12 without a message, then message 3 of session 13", rows)
	}
	// A relay's recipient keeps its message as its name, with no session.
	r := &Recipient{Message: "m1", Address: "a@x.test"}
	if r.label() != "a@x.test (message m1)" {
		t.Errorf("relay label %q", r.label())
	}
}
