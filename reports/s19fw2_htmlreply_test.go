package reports

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestHTMLRowShowsLastReply: each recipient not delivered has its last
// reply (code, enhanced code, text; a late bounce's after the reply it
// followed; what chose it on a sink's record) in its row of the HTML
// report, which tells the reader to read it, and not only inside the
// folded attempts; a delivered recipient's cell is empty. The reply is
// escaped, its markup and controls shown, not obeyed.
func TestHTMLRowShowsLastReply(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := &Data{First: q, Last: q.Add(time.Hour), Recipients: []*Recipient{
		{Address: "gone@x.test", Domain: "x.test", Status: "bounced", Queued: q, Done: q,
			Attempts: []Attempt{{Time: q, Try: 1, Code: 550, Enhanced: "5.1.1", Text: "No such user here", By: "directive rcpt550"}}},
		{Address: "grey@x.test", Domain: "x.test", Status: "deferred", Queued: q,
			Attempts: []Attempt{{Time: q, Try: 1, Code: 451, Enhanced: "4.7.1", Text: "greylisted, <try> again & \u202esoon"}}},
		{Address: "down@x.test", Domain: "x.test", Status: "deferred", Queued: q,
			Attempts: []Attempt{{Time: q, Try: 1, Error: "dial tcp 127.0.0.1:25: connection refused"}}},
		{Address: "late@x.test", Domain: "x.test", Status: "bounced", Queued: q, Done: q.Add(time.Hour),
			Attempts:   []Attempt{{Time: q, Try: 1, Code: 250, Text: "ok"}},
			LateBounce: &LateBounce{Time: q.Add(time.Hour), Code: 550, Enhanced: "5.2.2", Text: "mailbox full"}},
		{Address: "ok@x.test", Domain: "x.test", Status: "delivered", Queued: q, Done: q,
			Attempts: []Attempt{{Time: q, Try: 1, Code: 250, Text: "queued as 7"}}},
	}}
	var b bytes.Buffer
	if err := WriteHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "<th>status</th><th>last reply</th><th>category</th>") {
		t.Errorf("the recipients' table has no last reply column:\n%s", out)
	}
	for addr, want := range map[string]string{
		"gone@x.test": "<td><code>550 5.1.1 No such user here (by directive rcpt550)</code></td>",
		"grey@x.test": `<td><code>451 4.7.1 greylisted, &lt;try&gt; again &amp; \u202esoon</code></td>`,
		"down@x.test": "<td><code>dial tcp 127.0.0.1:25: connection refused</code></td>",
		"late@x.test": "<td><code>late bounce after a 250: 550 5.2.2 mailbox full</code></td>",
		"ok@x.test":   `<td class="delivered">delivered</td><td></td>`,
	} {
		row := regexp.MustCompile(`(?s)<tr><td>` + regexp.QuoteMeta(addr) + `.*?<details>`).FindString(out)
		if !strings.Contains(row, want) {
			t.Errorf("%s: row %q\nwant it to hold %q before its attempts", addr, row, want)
		}
	}
	if strings.Contains(out, "\u202e") || strings.Contains(out, "<try>") {
		t.Errorf("the reply's bidi control or markup is raw in the HTML:\n%s", out)
	}
}
