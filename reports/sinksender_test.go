package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// bouncingSink is a sink's record with the bounces it sent.
type bouncingSink struct {
	fakeSink
	bounces []SinkBounce
}

func (b bouncingSink) AllBounces(context.Context) ([]SinkBounce, error) { return b.bounces, nil }

// TestFromSinkPerSender: greylisting keys on (client, sender,
// recipient), so a recipient the sink saw from two senders, delivered
// from one and still deferred from the other, has a record per sender
// with its own status, instead of one record whose status is whichever
// sender came last; a recipient seen from one sender (whatever the case
// of its address) keeps a single record without a sender, as before.
func TestFromSinkPerSender(t *testing.T) {
	t.Parallel()
	at := func(min int, from, rcpt, stage string, code int) SinkAttempt {
		return SinkAttempt{Time: t0.Add(time.Duration(min) * time.Minute), Listener: "mx", Client: "127.0.0.1", Sender: from, Recipient: rcpt, Stage: stage, Code: code, Enhanced: map[int]string{250: "2.0.0", 451: "4.7.1"}[code]}
	}
	src := bouncingSink{fakeSink: fakeSink{
		at(0, "app@s.test", "a@x.test", "rcpt", 451),
		at(5, "app@s.test", "a@x.test", "data-end", 250),
		at(6, "news@s.test", "a@x.test", "rcpt", 451),
		at(0, "App@s.test", "b@x.test", "rcpt", 451),
		at(5, "app@s.test", "b@x.test", "data-end", 250),
	}, bounces: []SinkBounce{{Recipient: "a@x.test", Sender: "app@s.test", Reply: "550 5.1.1 gone"}}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ addr, sender, status string }
	var got []row
	for _, r := range d.Recipients {
		got = append(got, row{r.Address, r.Sender, r.Status})
	}
	want := []row{{"a@x.test", "app@s.test", "delivered"}, {"a@x.test", "news@s.test", "deferred"}, {"b@x.test", "", "delivered"}}
	if len(got) != len(want) {
		t.Fatalf("records %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %v, want %v", i, got[i], want[i])
		}
	}
	if a := d.Recipients[0]; a.Tries() != 2 || !a.DSN || a.DSNStatus != "5.1.1" {
		t.Errorf("app's record: %d tries, dsn %v %q; want 2 tries and the bounce", a.Tries(), a.DSN, a.DSNStatus)
	}
	if n := d.Recipients[1]; n.Tries() != 1 || n.DSN {
		t.Errorf("news's record: %d tries, dsn %v; want 1 try, no bounce (it went to app's message)", n.Tries(), n.DSN)
	}

	var text, js bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "\na@x.test (from news@s.test): deferred, policy\n") {
		t.Errorf("the text report does not name the deferred sender:\n%s", text.String())
	}
	if err := WriteJSON(&js, d); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Recipients []map[string]any `json:"recipients"`
	}
	if err := json.Unmarshal(js.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if s, ok := v.Recipients[2]["sender"]; ok {
		t.Errorf("a recipient seen from one sender has a sender in the JSON: %v", s)
	}
	if v.Recipients[1]["sender"] != "news@s.test" {
		t.Errorf("JSON sender %v, want news@s.test", v.Recipients[1]["sender"])
	}
}
