package reports

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

// TestEveryFailureSaysWhy: every format's line for a recipient not
// delivered gives its reply with the enhanced code, its category, a
// plain-language reason and what to do; one without a classification (a
// sink's record) gets a reason read from its reply, saying that it has
// no category, instead of nothing (the Markdown table had neither reason
// nor advice, the CSV no advice, and a sink's failures no reason in any
// format).
func TestEveryFailureSaysWhy(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := &Data{First: q, Last: q.Add(time.Minute), Recipients: []*Recipient{
		{Address: "relay@x.test", Message: "m1", Status: "bounced", Category: "invalid-recipient", Reason: "the mailbox does not exist", Advice: "check the address",
			Queued: q, Done: q, Attempts: []Attempt{{Time: q, Try: 1, Code: 550, Enhanced: "5.1.1", Text: "no such user"}}},
		{Address: "sink@x.test", Message: "3", Status: "deferred", Queued: q,
			Attempts: []Attempt{{Time: q.Add(time.Minute), Try: 1, Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "greylisted"}}},
	}}
	const sinkWhy = "the last reply is a temporary refusal (4xx, RFC 5321 4.2.1)"
	out := map[string]string{}
	for _, f := range []string{"text", "markdown", "junit", "html", "csv"} {
		var b bytes.Buffer
		if err := Write(&b, f, d); err != nil {
			t.Fatal(err)
		}
		out[f] = b.String()
	}
	for _, c := range []struct{ format, want string }{
		{"text", "  why: the mailbox does not exist\n  what to do: check the address\n"},
		{"text", "  why: " + sinkWhy},
		{"text", "4.7.1 is delivery not authorized: the receiver's policy does not take the message (RFC 3463 3.8) (read from the last reply: no category was recorded"},
		{"text", "451 4.7.1 greylisted"},
		{"markdown", "| relay@x.test (message m1) | bounced | invalid-recipient | 550 5.1.1 no such user | the mailbox does not exist | check the address |"},
		{"markdown", "| sink@x.test (message 3) | deferred |  | 451 4.7.1 greylisted | " + sinkWhy},
		{"junit", sinkWhy},
		{"junit", "what to do: nothing if a later try clears it"},
		{"html", sinkWhy},
		{"html", "what to do: nothing if a later try clears it"},
	} {
		if !strings.Contains(out[c.format], c.want) {
			t.Errorf("%s lacks %q:\n%s", c.format, c.want, out[c.format])
		}
	}
	rows, err := csv.NewReader(strings.NewReader(out["csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// By name: columns are added at the end (late_bounce came after
	// advice).
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if _, ok := col["reason"]; !ok {
		t.Fatalf("csv header %q has no reason", rows[0])
	}
	if _, ok := col["advice"]; !ok {
		t.Fatalf("csv header %q has no advice", rows[0])
	}
	if r := rows[1]; r[col["advice"]] != "check the address" {
		t.Errorf("csv row %q lacks the advice", r)
	}
	if r := rows[2]; !strings.HasPrefix(r[col["reason"]], sinkWhy) || r[col["advice"]] == "" {
		t.Errorf("csv row %q lacks the reason read from the reply, or the advice", r)
	}
	res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "sink@*", Status: "delivered"}}})
	if !strings.Contains(res[0].Message, "  deferred: "+sinkWhy) || !strings.Contains(res[0].Message, "  what to do: ") {
		t.Errorf("the expectation's failure does not say why:\n%s", res[0].Message)
	}
}

// TestWhyOfUnclassifiedReplies: the reason read from a reply follows its
// class and enhanced code; a recipient delivered has none.
func TestWhyOfUnclassifiedReplies(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status string
		a      []Attempt
		want   string
	}{
		{"bounced", []Attempt{{Code: 550, Enhanced: "5.1.1"}}, "permanent refusal (5xx, RFC 5321 4.2.1): a sender does not retry it, and returns a bounce to the message's sender; 5.1.1 is a bad destination mailbox address"},
		{"bounced", []Attempt{{Code: 552, Enhanced: "5.2.2"}}, "; 5.2.2 is a full mailbox"},
		{"deferred", []Attempt{{Code: 0, Error: "no reply: dropped"}}, "the last attempt got no reply"},
		{"deferred", []Attempt{{Code: 421}}, "temporary refusal (4xx, RFC 5321 4.2.1): the receiving side asks the sender to try again later (read"},
		{"queued", nil, "no attempt had ended"},
		{"queued", []Attempt{{Code: 250, Stage: "rcpt"}}, "accepted, but its transaction went no further"},
		{"delivered", []Attempt{{Code: 250}}, ""},
	} {
		r := &Recipient{Status: c.status, Attempts: c.a}
		got, advice := r.why()
		if c.want == "" && (got != "" || advice != "") || c.want != "" && (!strings.Contains(got, c.want) || advice == "") {
			t.Errorf("%s %+v: why %q, advice %q; want %q and advice", c.status, c.a, got, advice, c.want)
		}
	}
}
