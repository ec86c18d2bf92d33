package reports

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"
)

// csvRows reads a CSV report into one map per row, by column name.
func csvRows(t *testing.T, d *Data) []map[string]string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteCSV(&b, d); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, col := range recs[0] {
			row[col] = rec[i]
		}
		out = append(out, row)
	}
	return out
}

// TestCSVLateBounce: a recipient taken with a 250 and bounced later by a
// DSN has the bounce's reply in the CSV's late_bounce column, as the
// text, Markdown, JUnit and JSON give it, while last_reply stays the 250
// (as expectations' last_reply reads it); before, the 550 appeared
// nowhere in the CSV.
func TestCSVLateBounce(t *testing.T) {
	t.Parallel()
	q := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &Data{Recipients: []*Recipient{
		{Message: "m1", Address: "d@example.test", Domain: "example.test", Status: "bounced", Category: "invalid-recipient", Reason: "the mailbox does not exist", Queued: q,
			Attempts:   []Attempt{{Time: q, Try: 1, Path: "sink", Code: 250, Enhanced: "2.0.0", Text: "Message accepted"}},
			LateBounce: &LateBounce{Time: q.Add(5 * time.Minute), Code: 550, Enhanced: "5.1.1", Text: "no such user", Category: "invalid-recipient"}},
		{Message: "m1", Address: "e@example.test", Domain: "example.test", Status: "delivered", Queued: q,
			Attempts: []Attempt{{Time: q, Try: 1, Path: "sink", Code: 250, Enhanced: "2.0.0", Text: "Message accepted"}}},
	}}
	rows := csvRows(t, d)
	if got := rows[0]["late_bounce"]; got != "550 5.1.1 no such user" {
		t.Errorf("late_bounce %q, want the DSN's 550 5.1.1 no such user", got)
	}
	if got := rows[0]["last_reply"]; got != "250 2.0.0 Message accepted" {
		t.Errorf("last_reply %q, want the 250 it was taken with", got)
	}
	if got, ok := rows[1]["late_bounce"]; !ok || got != "" {
		t.Errorf("a delivered recipient's late_bounce %q (column there: %v), want it empty", got, ok)
	}
}
