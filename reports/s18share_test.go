package reports

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestS18ShareNamesTheUndelivered: a delivered_share that fails names the
// recipients that were not delivered, each with its message, status,
// category and last reply, the first five and then how many more, so
// that the reader need not search the report for them.
func TestS18ShareNamesTheUndelivered(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), sampleLog())
	x, err := decodeExp(t, "aggregate: {delivered_share: 0.9}\n")
	if err != nil {
		t.Fatal(err)
	}
	got := Evaluate(d, x)[0].Message
	const want = `expected at least 90.0% delivered, got 66.7% (2 of 3); not delivered: <script>x</script>@c.test (message m2): bounced (invalid-recipient), last reply "550 5.1.1 no such user | really"`
	if got != want {
		t.Errorf("failure:\n%s\nwant:\n%s", got, want)
	}

	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	many := &Data{}
	for i := range 8 {
		many.Recipients = append(many.Recipients, &Recipient{Address: fmt.Sprintf("u%d@x.test", i), Message: "m1", Status: "deferred", Queued: q,
			Attempts: []Attempt{{Time: q, Try: 1, Code: 451, Enhanced: "4.3.0", Text: "later"}}})
	}
	many.Recipients = append(many.Recipients, &Recipient{Address: "ok@x.test", Message: "m1", Status: "delivered", Queued: q})
	got = Evaluate(many, x)[0].Message
	if !strings.HasSuffix(got, `u4@x.test (message m1): deferred, last reply "451 4.3.0 later"; and 3 more`) || strings.Contains(got, "u5@") {
		t.Errorf("eight not delivered: %s\nwant the first five named, then \"and 3 more\"", got)
	}
}
