package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/relay"
)

// TestSinkRecordExplained: a report on a sink's record explains each
// refusal with the category, reason and advice the web UI's sink pages
// give it (relay.ExplainSinkReply, the relay's built-in table), in every
// format, instead of no category and a reason read from the code alone;
// a delivered recipient keeps its earlier deferral's, marked as such, as
// a relay's does; a last attempt with no refusal to classify (a dropped
// connection) keeps the reason read from its reply.
func TestSinkRecordExplained(t *testing.T) {
	t.Parallel()
	at := func(sec int, rcpt, stage string, code int, enhanced, text string) SinkAttempt {
		return SinkAttempt{Time: t0.Add(time.Duration(sec) * time.Second), Listener: "mx", Client: "127.0.0.1:4000", Recipient: rcpt,
			Stage: stage, Code: code, Enhanced: enhanced, Text: text, Session: int64(sec + 1)}
	}
	gone := at(0, "gone@x.test", "rcpt", 550, "5.1.1", "No such user here (asked for by a directive)")
	gone.By = "directive rcpt550"
	big := at(1, "big@x.test", "data-end", 552, "5.3.4", "too big")
	grey := at(2, "grey@x.test", "rcpt", 451, "4.7.1", "try again later")
	d, err := FromSink(context.Background(), fakeSink{gone, big, grey,
		at(3, "later@x.test", "rcpt", 451, "4.7.1", "try again later"), at(9, "later@x.test", "data-end", 250, "2.0.0", "Message accepted as 1"),
		at(4, "drop@x.test", "data", 0, "", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*Recipient{}
	for _, r := range d.Recipients {
		by[r.Address] = r
	}
	// The web UI's reading of each reply, by the one code path.
	ui := func(a SinkAttempt) relay.Verdict {
		t.Helper()
		v, ok := relay.ExplainSinkReply(nil, a.Stage, a.Code, a.Enhanced, a.Text)
		if !ok {
			t.Fatalf("relay.ExplainSinkReply does not explain %+v", a)
		}
		return v
	}
	for _, c := range []struct {
		addr     string
		reply    SinkAttempt
		category string
	}{
		{"gone@x.test", gone, "invalid-recipient"},
		{"big@x.test", big, "message-too-big"},
		{"grey@x.test", grey, "policy"},
		{"later@x.test", grey, "policy"}, // its deferral before the delivery
	} {
		r, v := by[c.addr], ui(c.reply)
		if v.Category != c.category {
			t.Fatalf("the UI reads %s's reply as %q, want %q", c.addr, v.Category, c.category)
		}
		if r.Category != v.Category || r.Reason != v.Reason || r.Advice != v.Advice || r.Reason == "" || r.Advice == "" {
			t.Errorf("%s: %q / %q / %q, want the UI's %q / %q / %q", c.addr, r.Category, r.Reason, r.Advice, v.Category, v.Reason, v.Advice)
		}
	}
	if l := by["later@x.test"]; l.Status != "delivered" || !l.DeferredBeforeDelivery() {
		t.Errorf("later@x.test: status %s, deferred before delivery %v; want delivered, and its 451 as an earlier deferral", l.Status, l.DeferredBeforeDelivery())
	}
	if r := by["drop@x.test"]; r.Category != "" || r.Reason != "" {
		t.Errorf("drop@x.test (no reply): %q / %q, want no classification", r.Category, r.Reason)
	}
	if reason, _ := by["drop@x.test"].why(); !strings.HasPrefix(reason, "the last attempt got no reply") {
		t.Errorf("drop@x.test's why %q, want one read from its reply", reason)
	}

	v := ui(gone)
	out := map[string]string{}
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, f, d); err != nil {
			t.Fatal(err)
		}
		out[f] = html.UnescapeString(b.String())
	}
	for _, c := range []struct{ format, want string }{
		{"text", "\ngone@x.test (session 1): bounced, invalid-recipient\n  why: " + v.Reason + "\n  what to do: " + v.Advice + "\n"},
		{"text", "\nlater@x.test (session 10): delivered\n  deferred before delivery: policy, "},
		{"markdown", "| gone@x.test (session 1) | bounced | invalid-recipient | 550 5.1.1 No such user here (asked for by a directive) (by directive rcpt550) | " + v.Reason + " | " + v.Advice + " |"},
		{"markdown", "| Category (not delivered) | count |"},
		{"html", "invalid-recipient<br><small>" + v.Reason + "</small><br><small>what to do: " + v.Advice + "</small>"},
		{"junit", `<failure message="not delivered: bounced (invalid-recipient): 550 5.1.1 No such user here (asked for by a directive)">` + v.Reason + "\nwhat to do: " + v.Advice},
	} {
		if !strings.Contains(out[c.format], c.want) {
			t.Errorf("%s lacks %q:\n%s", c.format, c.want, out[c.format])
		}
	}
	var js struct {
		Summary struct {
			ByCategory []Count `json:"by_category"`
		} `json:"summary"`
		Recipients []map[string]any `json:"recipients"`
	}
	if err := json.Unmarshal([]byte(out["json"]), &js); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range js.Recipients {
		if r["address"] == "gone@x.test" {
			found = true
			if r["category"] != v.Category || r["reason"] != v.Reason || r["advice"] != v.Advice {
				t.Errorf("json: %v, want category, reason and advice %q / %q / %q", r, v.Category, v.Reason, v.Advice)
			}
		}
	}
	if !found || len(js.Summary.ByCategory) == 0 {
		t.Errorf("json: gone@x.test found %v, by_category %v; want it, and categories counted", found, js.Summary.ByCategory)
	}
	for _, row := range csvRows(t, d) {
		if row["recipient"] == "gone@x.test" && (row["category"] != v.Category || row["reason"] != v.Reason || row["advice"] != v.Advice) {
			t.Errorf("csv: %v, want category, reason and advice %q / %q / %q", row, v.Category, v.Reason, v.Advice)
		}
	}
}

// explainingSource is a sink's record that explains its sink's replies
// itself, as serve's does with its relay's classify rules.
type explainingSource struct{ fakeSink }

var _ SinkExplainer = explainingSource{}

func (explainingSource) ExplainSinkReply(stage string, code int, enhanced, text string) (Explanation, bool) {
	if code < 400 {
		return Explanation{}, false
	}
	return Explanation{Category: "own-" + stage, Reason: "its own reason", Advice: "its own advice"}, true
}

// TestSinkRecordOwnExplainer: a source that explains the sink's replies
// (a SinkExplainer) is read with its own classifier, not the built-in
// table: the one the web's sink pages use there.
func TestSinkRecordOwnExplainer(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), explainingSource{fakeSink{
		{Time: t0, Listener: "mx", Recipient: "gone@x.test", Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such user"},
		{Time: t0, Listener: "mx", Recipient: "ok@x.test", Stage: "data-end", Code: 250, Text: "accepted"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Recipients {
		want := map[string]string{"gone@x.test": "own-rcpt"}[r.Address]
		if r.Category != want {
			t.Errorf("%s: category %q, want %q", r.Address, r.Category, want)
		}
	}
}

// TestSinkReplyChosenBy: the Markdown and the CSV say what chose a
// sink's reply (a rule, a profile's rule, a directive), as the text,
// JSON, HTML and JUnit do: the Markdown after the last reply, the CSV in
// its last_reply_by column (empty on a relay's record).
func TestSinkReplyChosenBy(t *testing.T) {
	t.Parallel()
	const by = "profile second (in p.yaml, domain same.test), rules[0]"
	d, err := FromSink(context.Background(), fakeSink{
		{Time: t0, Listener: "mx", Recipient: "a@same.test", Stage: "rcpt", Code: 550, Enhanced: "5.7.1", Text: "refused by the profile", By: by},
		{Time: t0, Listener: "mx", Recipient: "b@same.test", Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "Message accepted as 1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Recipients = append(d.Recipients, &Recipient{Message: "m1", Address: "c@y.test", Domain: "y.test", Status: "bounced", Category: "invalid-recipient",
		Reason: "the mailbox does not exist", Advice: "remove it", Queued: t0, Attempts: []Attempt{{Time: t0, Try: 1, Code: 550, Enhanced: "5.1.1", Text: "gone"}}})
	var md bytes.Buffer
	if err := WriteMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if want := "| 550 5.7.1 refused by the profile (by " + by + ") |"; !strings.Contains(md.String(), want) {
		t.Errorf("markdown lacks %q:\n%s", want, md.String())
	}
	if want := "| 550 5.1.1 gone |"; !strings.Contains(md.String(), want) {
		t.Errorf("markdown lacks the relay's reply as it was, %q:\n%s", want, md.String())
	}
	rows := csvRows(t, d)
	got := map[string]string{}
	for _, r := range rows {
		v, ok := r["last_reply_by"]
		if !ok {
			t.Fatalf("csv has no last_reply_by column: %v", r)
		}
		got[r["recipient"]] = v
	}
	if got["a@same.test"] != by || got["b@same.test"] != "" || got["c@y.test"] != "" {
		t.Errorf("csv last_reply_by %v, want %q for a@same.test and empty for the others", got, by)
	}
}
