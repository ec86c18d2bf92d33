package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// failover is a recipient whose route's two paths both refused it for
// days: two tries that differ, then tries 3 to 241 each reaching primary
// and backup with the same 535, 482 lines before any fold.
func failover() *Recipient {
	r := &Recipient{Message: "m1", Address: "a@x.test", Status: "expired", Category: "authentication-failure", Queued: t0}
	ex := func(try int, at time.Duration, path string, code int, enh, text string) {
		r.Attempts = append(r.Attempts, Attempt{Time: t0.Add(at), Try: try, Path: path, Host: "127.0.0.1", Code: code, Enhanced: enh, Text: text})
	}
	ex(1, 0, "primary", 421, "4.3.2", "busy")
	ex(1, 0, "backup", 421, "4.3.2", "busy")
	ex(2, 5*time.Minute, "primary", 451, "4.3.0", "later")
	ex(2, 5*time.Minute, "backup", 451, "4.3.0", "later")
	for k := 3; k <= 241; k++ {
		at := time.Duration(k) * 30 * time.Minute
		ex(k, at, "primary", 535, "5.7.8", "bad credentials")
		ex(k, at, "backup", 535, "5.7.8", "bad credentials")
	}
	return r
}

// TestTimelineFoldsCycles: tries that repeat with several hosts each (a
// failover pair both refusing), or that alternate between hosts, fold
// into one line in every format that prints timelines: the text, an
// expectation's failure (and so the verdicts' Markdown and JUnit), the
// JUnit delivery report and the HTML; the JSON keeps every attempt. Only
// runs of one host a try folded: 482 lines for one recipient.
func TestTimelineFoldsCycles(t *testing.T) {
	t.Parallel()
	r := failover()
	const fold = "#3-#241 +1h30m0s ... +120h30m0s primary 127.0.0.1 535 5.7.8 bad credentials, then backup 127.0.0.1 535 5.7.8 bad credentials  (239 times)"
	var tl bytes.Buffer
	WriteTimeline(&tl, r)
	want := "  #1  +0s         primary      127.0.0.1                421 4.3.2 busy\n" +
		"  #1  +0s         backup       127.0.0.1                421 4.3.2 busy\n" +
		"  #2  +5m0s       primary      127.0.0.1                451 4.3.0 later\n" +
		"  #2  +5m0s       backup       127.0.0.1                451 4.3.0 later\n" +
		"  " + fold + "\n"
	if tl.String() != want {
		t.Errorf("timeline:\n%s\nwant:\n%s", tl.String(), want)
	}

	d := &Data{Recipients: []*Recipient{r}, First: t0, Last: r.Attempts[len(r.Attempts)-1].Time}
	x, err := decodeExp(t, "recipients:\n  - {match: a@x.test, status: delivered}\n")
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerdict("s", "s.yaml", d, Evaluate(d, x))
	var text, md, junit, vjunit, html bytes.Buffer
	for _, w := range []error{WriteText(&text, d), WriteVerdictsMarkdown(&md, []Verdict{v}), WriteJUnit(&junit, "s", d),
		WriteVerdictsJUnit(&vjunit, []Verdict{v}), WriteHTML(&html, d)} {
		if w != nil {
			t.Fatal(w)
		}
	}
	for what, got := range map[string]string{"text": text.String(), "verdict markdown": md.String(), "junit": junit.String(), "verdict junit": vjunit.String(),
		"html": strings.ReplaceAll(html.String(), "&#43;", "+")} {
		if !strings.Contains(got, fold) {
			t.Errorf("%s lacks the fold %q:\n%s", what, fold, got)
		}
		if n := strings.Count(got, "535 5.7.8"); n > 4 {
			t.Errorf("%s shows the 535 %d times, want the fold's two (and the verdict's copies)", what, n)
		}
	}
	js, _ := json.Marshal(r)
	if n := strings.Count(string(js), `"code":535`); n != 478 {
		t.Errorf("JSON has %d attempts with 535, want all 478", n)
	}
}

// TestTimelineFoldsAlternation: tries of one host each that alternate
// between two paths fold as a cycle, whole cycles only, with the try that
// breaks it shown after; three tries of one host still fold as before.
func TestTimelineFoldsAlternation(t *testing.T) {
	t.Parallel()
	r := &Recipient{Address: "a@x.test", Status: "expired", Queued: t0}
	for k := 1; k <= 9; k++ {
		path := map[bool]string{true: "primary", false: "backup"}[k%2 == 1]
		r.Attempts = append(r.Attempts, Attempt{Time: t0.Add(time.Duration(k) * time.Hour), Try: k, Path: path, Host: "127.0.0.1", Code: 451, Enhanced: "4.3.0", Text: "later"})
	}
	r.Attempts = append(r.Attempts, Attempt{Time: t0.Add(10 * time.Hour), Try: 10, Path: "backup", Host: "127.0.0.1", Code: 250, Enhanced: "2.0.0", Text: "ok"})
	var tl bytes.Buffer
	WriteTimeline(&tl, r)
	want := "  #1-#8 +1h0m0s ... +8h0m0s primary 127.0.0.1 451 4.3.0 later; backup 127.0.0.1 451 4.3.0 later  (alternating, 4 times each)\n" +
		"  #9  +9h0m0s     primary      127.0.0.1                451 4.3.0 later\n" +
		"  #10 +10h0m0s    backup       127.0.0.1                250 2.0.0 ok\n"
	if tl.String() != want {
		t.Errorf("timeline:\n%s\nwant:\n%s", tl.String(), want)
	}
}
