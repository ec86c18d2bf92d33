package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// dropAfterDotSink is a sink's record of one message dropped after its
// final dot and then retried and accepted (the sink stored it twice, as
// messages 1 and 2, of one Message-ID), beside a recipient refused after
// the data (stored, not taken) and one refused at RCPT.
func dropAfterDotSink() fakeMessageSink {
	at := func(sec int, rcpt, stage string, code int, msg int64) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, MessageID: "<m-" + rcpt + ">", SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(sec) * time.Second),
			Listener: "mx", Client: "127.0.0.1:1", Sender: "app@s.test", Recipient: rcpt, Stage: stage, Code: code}}
	}
	return fakeMessageSink{
		at(0, "dotdropx1+c@x.test", "data-end", 0, 1),
		at(60, "dotdropx1+c@x.test", "data-end", 250, 2),
		at(0, "soft@x.test", "data-end", 451, 3),
		at(0, "gone@x.test", "rcpt", 550, 0),
	}
}

// TestFE23CopiesOnASinksRecord: a retry after a drop after the dot joins
// its message's record, so count finds one record, while the sink holds
// the message twice: copies judges that, in the failure's words, the
// JSON's "copies" and the count's hint. The advice of the drop names
// copies, not count.
func TestFE23CopiesOnASinksRecord(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), dropAfterDotSink())
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, `
recipients:
  - {match: "dotdropx1+c@x.test", status: delivered, copies: 2, attempts: 2}
  - {match: "dotdropx1+c@x.test", copies: 1}
  - {match: "dotdropx1+c@x.test", count: 2}
  - {match: "soft@x.test", copies: 0}
  - {match: "gone@x.test", copies: "<=0"}
  - {match: "dotdropx1+c@x.test", copies: "2-"}
`)
	if err != nil {
		t.Fatal(err)
	}
	rs := Evaluate(d, x)
	for i, want := range []bool{true, false, false, true, true, true} {
		if rs[i].Pass != want {
			t.Errorf("%s: pass %v, want %v (%s)", rs[i].Name, rs[i].Pass, want, rs[i].Message)
		}
	}
	for i, want := range map[int]string{
		1: "expected 1 copy of the message at the receiving side (copies), got 2, left by attempts 1 and 2",
		2: "(the receiving side holds 2 copies of the message: a retry of a message, as after a drop after the final dot, is the same record, which count counts once; to judge the copies the receiving side holds, give copies: 2 instead of count)",
	} {
		if !strings.Contains(rs[i].Message, want) {
			t.Errorf("%s: the failure lacks %q:\n%s", rs[i].Name, want, rs[i].Message)
		}
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, d); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Recipients []struct {
			Address string
			Copies  *int
		}
	}
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range v.Recipients {
		if r.Copies != nil {
			got[r.Address] = *r.Copies
		}
	}
	if len(got) != 1 || got["dotdropx1+c@x.test"] != 2 {
		t.Errorf("the JSON's copies: %v, want 2 for the dropped and retried recipient alone", got)
	}
	_, advice, _ := sinkOnPurpose(Attempt{Stage: "data-end", By: "directive dotdropx1"})
	if !strings.Contains(advice, "the copies the receiving side holds with copies") || strings.Contains(advice, "copies with count") {
		t.Errorf("the advice of a drop after the dot does not name copies: %q", advice)
	}
}

// TestFE23CopiesOnARelaysRecord: in a replay's record the relay's try
// that lost its connection after the final dot left a copy, as the one
// its 250 ended did; a 4xx after the dot and a refusal at RCPT did not.
func TestFE23CopiesOnARelaysRecord(t *testing.T) {
	t.Parallel()
	r := &Recipient{Address: "dotdropx1+r@x.test", Status: "delivered", Attempts: []Attempt{
		{Time: t0, Try: 1, Stage: "rcpt", Code: 451},
		{Time: t0.Add(time.Minute), Try: 2, Stage: "dot", Error: "dot: reading the reply: EOF"},
		{Time: t0.Add(2 * time.Minute), Try: 3, Stage: "dot", Code: 451},
		{Time: t0.Add(3 * time.Minute), Try: 4, Stage: "dot", Code: 250},
	}}
	if n := r.Copies(); n != 2 {
		t.Errorf("copies %d, want 2 (tries 2 and 4)", n)
	}
	msg := checkCopies(r, Range{Min: 1, Max: 1, Set: true})
	if !strings.Contains(msg, "got 2, left by attempts 2 and 4") {
		t.Errorf("copies: 1 failed with %q", msg)
	}
}

// TestFE23CopiesValidated: copies takes a range, is refused as 0 beside
// status delivered, and is one of the keys a count: 0 refuses.
func TestFE23CopiesValidated(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string]string{
		`{match: "a@x.test", copies: 2}`:                    "",
		`{match: "a@x.test", copies: many}`:                 `recipients[0].copies: bad range "many"`,
		`{match: "a@x.test", status: delivered, copies: 0}`: "recipients[0].copies: a delivered recipient's message is at the receiving side at least once",
		`{match: "a@x.test", count: 0, copies: 2}`:          "recipients[0].count: 0 asks that nothing match, so copies, which judges each recipient matched, checks nothing",
		`{match: "a@x.test", copies: ""}`:                   `recipients[0].copies: bad range ""`,
	} {
		_, err := decodeExp(t, "recipients:\n  - "+doc+"\n")
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: error %v, want %q", doc, err, want)
		}
	}
}
