package reports

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"
)

// TestCSVNoFormulas: values that come from senders and servers (an
// address whose local part begins with "=", a reply text) cannot become
// spreadsheet formulas in the CSV report; ordinary values are unchanged.
func TestCSVNoFormulas(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := &Data{Recipients: []*Recipient{
		{Address: `=HYPERLINK("http://evil.test","x")@x.test`, Domain: "x.test", Status: "bounced", Queued: q,
			Reason: "@SUM(1+1)", Attempts: []Attempt{{Time: q, Error: "+cmd|' /C calc'!A0"}}},
		{Address: "plain@x.test", Domain: "x.test", Status: "delivered", Queued: q, Attempts: []Attempt{{Time: q, Code: 250, Text: "ok"}}},
	}}
	var b bytes.Buffer
	if err := WriteCSV(&b, d); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("rows %q, %v", rows, err)
	}
	for _, c := range []struct{ col int }{{1}, {7}, {10}} {
		if v := rows[1][c.col]; v == "" || v[0] != '\'' {
			t.Errorf("column %s = %q: want a leading ' so that no spreadsheet evaluates it", rows[0][c.col], v)
		}
	}
	if rows[2][1] != "plain@x.test" || rows[2][7] != "250 ok" {
		t.Errorf("ordinary row changed: %q", rows[2])
	}
}

// TestJSONEmptyRecipients: a report of a store with nothing in it lists
// no recipients as [], not null, as the verdicts' JSON already does.
func TestJSONEmptyRecipients(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteJSON(&b, &Data{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte(`"recipients": []`)) {
		t.Errorf("empty report's JSON:\n%s", b.String())
	}
}
