package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestDeliveredKeepsItsDeferralApart: a recipient delivered after a
// deferral keeps the deferral's category and reason (expectations ask for
// them), but the HTML and CSV reports say they came before the delivery,
// instead of showing "delivered" beside "the receiver's policy defers the
// message for now" as if it were the outcome.
func TestDeliveredKeepsItsDeferralApart(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := &Data{First: q, Last: q.Add(10 * time.Minute), Recipients: []*Recipient{
		{Address: "a@x.test", Status: "delivered", Category: "policy", Reason: "the receiver's policy defers the message for now", Advice: "nothing; it is retried",
			Queued: q, Done: q.Add(10 * time.Minute), Attempts: []Attempt{{Time: q, Try: 1, Code: 451}, {Time: q.Add(10 * time.Minute), Try: 2, Code: 250}}},
	}}
	var html, csv bytes.Buffer
	if err := WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&csv, d); err != nil {
		t.Fatal(err)
	}
	if h := html.String(); !strings.Contains(h, "deferred before delivery: policy, the receiver&#39;s policy defers the message for now") || strings.Contains(h, "what to do: nothing") {
		t.Errorf("html: the deferral is not marked as earlier, or its advice is shown:\n%s", h)
	}
	if c := csv.String(); !strings.Contains(c, "deferred before delivery: the receiver's policy defers the message for now") {
		t.Errorf("csv:\n%s", c)
	}
}

// TestJSONMarksEarlierDeferral: a recipient delivered after a hold
// (destination-backoff: another message's 421 rested its destination)
// keeps that hold's category and reason in the JSON, as expectations
// read them, and the JSON says they came before the delivery, as the
// text, HTML and CSV do; it said "delivered" beside "nothing was sent to
// this recipient" with no marker. A plain delivery and a bounce have
// no marker. The text lists the held recipient's timeline with its hold,
// although it has one attempt, instead of counting it among deliveries
// at the first try that nothing held.
func TestJSONMarksEarlierDeferral(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := &Data{First: q, Last: q.Add(5 * time.Minute), Recipients: []*Recipient{
		{Address: "b@example.test", Domain: "example.test", Status: "delivered", Category: "destination-backoff",
			Reason: "nothing was sent to this recipient; its destination answered another message with a 421", Queued: q, Done: q.Add(5 * time.Minute),
			Attempts: []Attempt{{Time: q.Add(5 * time.Minute), Try: 1, Code: 250}}},
		{Address: "plain@example.test", Domain: "example.test", Status: "delivered", Queued: q, Done: q, Attempts: []Attempt{{Time: q, Try: 1, Code: 250}}},
		{Address: "<gone>@example.test", Domain: "example.test", Status: "bounced", Category: "invalid-recipient", Reason: "no such user",
			Queued: q, Done: q, Attempts: []Attempt{{Time: q, Try: 1, Code: 550}}},
	}}
	var rep, ver bytes.Buffer
	if err := WriteJSON(&rep, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteVerdictsJSON(&ver, []Verdict{NewVerdict("v", "", d, nil)}); err != nil {
		t.Fatal(err)
	}
	var r struct{ Recipients []map[string]any }
	var v struct {
		Verdicts []struct{ Recipients []map[string]any }
	}
	if err := json.Unmarshal(rep.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ver.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	for name, rs := range map[string][]map[string]any{"report": r.Recipients, "verdicts": v.Verdicts[0].Recipients} {
		want := []any{true, nil, nil}
		for i, rec := range rs {
			if got := rec["deferred_before_delivery"]; got != want[i] {
				t.Errorf("%s: %s: deferred_before_delivery %v, want %v", name, rec["address"], got, want[i])
			}
		}
		if rs[0]["category"] != "destination-backoff" || rs[0]["status"] != "delivered" {
			t.Errorf("%s: the earlier hold's category is gone: %v", name, rs[0])
		}
	}
	var text bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if out := text.String(); !strings.Contains(out, "\nb@example.test: delivered\n  deferred before delivery: destination-backoff, nothing was sent") ||
		!strings.Contains(out, "\n1 recipient(s) delivered at the first host of the first try") {
		t.Errorf("text: the held delivery is not listed with its hold, or the plain one is:\n%s", out)
	}
	// The encoder's choices still hold inside a recipient: WriteJSON
	// escapes <, > and & (json.Encoder's default), every time it did.
	if out := rep.String(); strings.Contains(out, "<gone>") || !strings.Contains(out, `\u003cgone\u003e@example.test`) {
		t.Errorf("report JSON: markup in an address not escaped as before:\n%s", out)
	}
}
