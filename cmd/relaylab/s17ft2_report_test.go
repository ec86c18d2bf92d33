package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"strings"
	"testing"
	"time"
)

// TestReportExplainsSinkRepliesAsTheUI: relaylab report --db on a store
// relaylab sink alone wrote explains each refusal with the category,
// reason and advice the web UI's session page gives the same reply
// (sinkAdapter.explainReply), in every format, instead of an empty
// category and a reason read from the code alone; the Markdown and the
// CSV say which directive chose the reply, as the text does.
func TestReportExplainsSinkRepliesAsTheUI(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, _, _ := sendToSink(t, []string{"rcpt550@example.test", "dot552@example.test"})

	out := map[string]string{}
	for _, f := range []string{"text", "json", "markdown", "html", "csv", "junit"} {
		code, stdout, errOut := runIn(t, ctx, "report", "--db", path, "--format", f)
		if code != 0 {
			t.Fatalf("report --format %s: exit %d, stderr %q", f, code, errOut)
		}
		out[f] = stdout
	}
	var js struct {
		Recipients []struct {
			Address                  string
			Category, Reason, Advice string
			Attempts                 []struct {
				Stage, Enhanced, Text string
				Code                  int
				By                    string
			}
		}
	}
	if err := json.Unmarshal([]byte(out["json"]), &js); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out["csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, want := range []struct{ addr, category, by string }{
		{"rcpt550@example.test", "invalid-recipient", "directive rcpt550"},
		{"dot552@example.test", "message-too-big", "directive dot552"},
	} {
		var found bool
		for _, r := range js.Recipients {
			if r.Address != want.addr {
				continue
			}
			found = true
			a := r.Attempts[len(r.Attempts)-1]
			ui, ok := sinkAdapter{}.explainReply(a.Stage, a.Code, a.Enhanced, a.Text)
			if !ok || ui.Category != want.category {
				t.Fatalf("%s: the UI explains %d at %s as %q (%v), want %q", want.addr, a.Code, a.Stage, ui.Category, ok, want.category)
			}
			if r.Category != ui.Category || r.Reason != ui.Reason || r.Advice != ui.Advice {
				t.Errorf("json %s: %q / %q / %q, want the UI's %q / %q / %q", want.addr, r.Category, r.Reason, r.Advice, ui.Category, ui.Reason, ui.Advice)
			}
			for _, c := range []struct{ format, want string }{
				{"text", ": bounced, " + ui.Category + "\n  why: " + ui.Reason + "\n  what to do: " + ui.Advice + "\n"},
				{"markdown", " | bounced | " + ui.Category + " | "},
				{"markdown", " (by " + want.by + ") | " + ui.Reason + " | " + ui.Advice + " |"},
				{"html", ui.Category + "<br><small>" + ui.Reason + "</small><br><small>what to do: " + ui.Advice + "</small>"},
				{"junit", "not delivered: bounced (" + ui.Category + "): "},
				{"junit", ">" + ui.Reason + "&#xA;what to do: " + ui.Advice},
			} {
				got := out[c.format]
				if c.format == "html" {
					got = html.UnescapeString(got)
				}
				if !strings.Contains(got, c.want) {
					t.Errorf("report --format %s lacks %q:\n%s", c.format, c.want, got)
				}
			}
			for _, row := range rows[1:] {
				if row[col["recipient"]] != want.addr {
					continue
				}
				if row[col["category"]] != ui.Category || row[col["reason"]] != ui.Reason || row[col["advice"]] != ui.Advice || row[col["last_reply_by"]] != want.by {
					t.Errorf("csv %s: %q, want category %q, reason %q, advice %q, last_reply_by %q", want.addr, row, ui.Category, ui.Reason, ui.Advice, want.by)
				}
			}
		}
		if !found {
			t.Errorf("the JSON has no %s:\n%s", want.addr, out["json"])
		}
	}
}
