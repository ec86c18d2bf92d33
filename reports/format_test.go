package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestNoEmptyMessageID: a recipient without a message id (a sink's whose
// last attempt left no message); the text, HTML and expectation outputs
// leave it out rather than print "(message )".
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

// TestDurationsReadable: the summary's float milliseconds are printed as
// durations, never with an exponent, in the text and HTML reports.
func TestDurationsReadable(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	done := q.Add(31*time.Minute + 48954*time.Millisecond)
	d := &Data{First: q, Last: done, Recipients: []*Recipient{
		{Address: "a@x.test", Status: "delivered", Queued: q, Done: done, Attempts: []Attempt{{Time: done, Code: 250, Latency: new(1908954.264)}}},
	}}
	var text, html bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, out, want string }{
		{"text", text.String(), "p50 31m49s  p90 31m49s  p99 31m49s  max 31m49s"},
		{"html", html.String(), "Time to delivery p50 31m49s, p99 31m49s."},
	} {
		if !strings.Contains(c.out, c.want) || strings.Contains(c.out, "e+0") {
			t.Errorf("%s output: want %q and no exponent in\n%s", c.name, c.want, c.out)
		}
	}
	for _, tt := range []struct {
		ms   float64
		want string
	}{{0, "0s"}, {0.4, "400µs"}, {2.345, "2.35ms"}, {350.2, "350ms"}, {2500, "2.5s"}, {59999.4, "59.999s"}, {1908954.264, "31m49s"}, {90 * 24 * 3600e3, "2160h0m0s"}} {
		if got := ms(tt.ms); got != tt.want {
			t.Errorf("ms(%v) = %q, want %q", tt.ms, got, tt.want)
		}
	}
}
