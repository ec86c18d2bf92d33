package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestJSONSaysWhy: on a store a sink alone wrote, and for a relay
// recipient no attempt of which has ended, the JSON report gives the
// reason and advice the text, Markdown, JUnit, HTML and CSV print (a
// sink's refusal explained as the relay's classifier reads it; without
// one, read from the last reply, saying no category was recorded),
// instead of none; a classified recipient keeps the relay's, a delivered
// one has none, and the Data is left as it was read.
func TestJSONSaysWhy(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), fakeSink{
		{Time: t0, Listener: "mx", Client: "127.0.0.1:4000", Recipient: "gone@x.test", Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such user"},
		{Time: t0, Listener: "mx", Client: "127.0.0.1:4001", Recipient: "ok@x.test", Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "accepted"},
		{Time: t0, Listener: "mx", Client: "127.0.0.1:4002", Recipient: "drop@x.test", Stage: "data", Code: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Recipients = append(d.Recipients,
		&Recipient{Message: "m1", Address: "wait@y.test", Domain: "y.test", Status: "queued", Queued: t0, Attempts: []Attempt{}},
		&Recipient{Message: "m2", Address: "full@y.test", Domain: "y.test", Status: "bounced", Category: "mailbox-full", Reason: "the mailbox is full", Advice: "ask later", Queued: t0, Done: t0.Add(time.Minute),
			Attempts: []Attempt{{Time: t0, Try: 1, Code: 552, Enhanced: "5.2.2", Text: "full"}}})
	var b bytes.Buffer
	if err := WriteJSON(&b, d); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Recipients []map[string]any `json:"recipients"`
	}
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	by := map[string]map[string]any{}
	for _, r := range v.Recipients {
		by[r["address"].(string)] = r
	}
	for _, c := range []struct{ addr, reason, advice string }{
		{"gone@x.test", "the mailbox does not exist", "remove the address from your list"},
		{"drop@x.test", "the last attempt got no reply", "a sender retries it later"},
		{"wait@y.test", "no attempt had ended when the report was made (no category yet)", "run the report again once the queue has worked"},
		{"full@y.test", "the mailbox is full", "ask later"},
	} {
		r := by[c.addr]
		reason, _ := r["reason"].(string)
		advice, _ := r["advice"].(string)
		if !strings.HasPrefix(reason, c.reason) || !strings.HasPrefix(advice, c.advice) {
			t.Errorf("%s: reason %q, advice %q; want %q..., %q...", c.addr, reason, advice, c.reason, c.advice)
		}
		// The text report gives the same reason.
		var text bytes.Buffer
		if err := WriteText(&text, d); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "  why: "+reason+"\n") {
			t.Errorf("%s: the text's reason is not the JSON's %q:\n%s", c.addr, reason, text.String())
		}
	}
	if s, _ := by["drop@x.test"]["reason"].(string); !strings.Contains(s, "no category was recorded") {
		t.Errorf("the sink's dropped connection's reason does not say it has no category: %q", s)
	}
	if _, ok := by["ok@x.test"]["reason"]; ok {
		t.Errorf("a delivered recipient has a reason: %v", by["ok@x.test"])
	}
	for _, r := range d.Recipients {
		if r.Address == "drop@x.test" && r.Reason != "" {
			t.Errorf("writing the JSON changed the Data: reason %q", r.Reason)
		}
	}
}
