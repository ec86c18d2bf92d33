package reports

import (
	"bytes"
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
