package reports

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tocData has recipients of every kind of outcome over several domains,
// in queueing order, with outcomes mixed, and one whose status a
// hostile store made up.
func tocData() *Data {
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	rcpt := func(min int, addr, status string) *Recipient {
		r := &Recipient{Message: "m1", Address: addr, Domain: domainOf(addr), Status: status, Queued: q.Add(time.Duration(min) * time.Minute),
			Attempts: []Attempt{{Time: q.Add(time.Duration(min) * time.Minute), Try: 1, Code: 250, Enhanced: "2.0.0", Text: "ok"}}}
		switch status {
		case "bounced":
			r.Category, r.Attempts[0].Code, r.Attempts[0].Enhanced, r.Attempts[0].Text = "invalid-recipient", 550, "5.1.1", "no such user"
		case "deferred":
			r.Category, r.Attempts[0].Code, r.Attempts[0].Enhanced, r.Attempts[0].Text = "greylisted", 451, "4.7.1", "greylisted"
		}
		if status != "deferred" {
			r.Done = r.Queued
		}
		return r
	}
	late := rcpt(3, "late@b.test", "delivered")
	late.LateBounce = &LateBounce{Time: late.Queued.Add(time.Minute), Code: 550, Enhanced: "5.1.1", Text: "The mailbox does not exist"}
	late.fromSink = true
	return &Data{First: q, Last: q.Add(10 * time.Minute), Recipients: []*Recipient{
		rcpt(0, "ok1@a.test", "delivered"),
		rcpt(1, "gone1@a.test", "bounced"),
		rcpt(2, "grey@c.test", "deferred"),
		late,
		rcpt(4, "<script>alert(1)</script>@d.test", "bounced"),
		rcpt(5, "ok2@c.test", "delivered"),
		rcpt(6, "odd@e.test", `x" onmouseover="alert(5)`),
	}}
}

var (
	hrefRE = regexp.MustCompile(`href="#([^"]*)"`)
	idRE   = regexp.MustCompile(` id="([^"]*)"`)
)

// checkAnchors fails unless every in-page link of out has exactly one
// element with its id, and every id is unique and made of lower-case
// letters, digits and hyphens (nothing a hostile value chose).
func checkAnchors(t *testing.T, name, out string) {
	t.Helper()
	ids := map[string]int{}
	for _, m := range idRE.FindAllStringSubmatch(out, -1) {
		ids[m[1]]++
		if !regexp.MustCompile(`^[a-z0-9-]+$`).MatchString(m[1]) {
			t.Errorf("%s: id %q is not made of a-z, 0-9 and -", name, m[1])
		}
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s: id %q given %d times", name, id, n)
		}
	}
	// The only links are the page's own: a link from mail (an advice's
	// <a href=javascript:...>) stays escaped text.
	if n, own := strings.Count(out, "<a"), strings.Count(out, `<a href="#`); n != own {
		t.Errorf("%s: %d links, %d of them to the page's anchors", name, n, own)
	}
	links := hrefRE.FindAllStringSubmatch(out, -1)
	if len(links) == 0 {
		t.Errorf("%s: no in-page link", name)
	}
	for _, m := range links {
		if ids[m[1]] != 1 {
			t.Errorf("%s: link to #%s, which no element has as id", name, m[1])
		}
	}
}

// TestFTHTMLContents: the HTML report starts with a table of contents
// (summary, charts, the count tables, and the recipients by outcome with
// their counts) whose links go to anchors with stable ids; the
// recipients are grouped by outcome, those not delivered first, so that
// the contents' "2 bounced" leads to the two. Before, a store with many
// recipients gave one long page with no way to jump to its failures. It
// stays without script, under the same Content-Security-Policy, and
// values from mail (an address, a status a hostile store made up) are
// escaped and never make an id.
func TestFTHTMLContents(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteHTML(&b, tocData()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	nav := strings.Index(out, `<nav id="contents"`)
	if nav < 0 || nav > strings.Index(out, `<div class="grid"`) {
		t.Fatalf("no table of contents before the charts:\n%s", out)
	}
	toc := out[nav : nav+strings.Index(out[nav:], "</nav>")]
	order := []string{`<a href="#summary">`, `<a href="#charts">`, `<a href="#by-status">`, `<a href="#by-domain">`, `<a href="#recipients">`,
		`<a href="#recipients-bounced">2 bounced</a>`, `<a href="#recipients-deferred">1 deferred</a>`, `<a href="#recipients-other">1 x&#34; onmouseover=&#34;alert(5)</a>`,
		`<a href="#recipients-delivered-bounced-late">1 delivered, then bounced late</a>`, `<a href="#recipients-delivered">2 delivered</a>`}
	at := 0
	for _, w := range order {
		i := strings.Index(toc[at:], w)
		if i < 0 {
			t.Errorf("contents lack %q after %q:\n%s", w, toc[:at], toc)
			continue
		}
		at += i
	}
	checkAnchors(t, "report", out)
	var hostile bytes.Buffer
	if err := WriteHTML(&hostile, hostileData()); err != nil {
		t.Fatal(err)
	}
	checkAnchors(t, "hostile report", hostile.String())
	// Each group holds its own recipients, in queueing order.
	groups := []struct{ id, addrs string }{
		{"recipients-bounced", "gone1@a.test &lt;script&gt;alert(1)&lt;/script&gt;@d.test"},
		{"recipients-deferred", "grey@c.test"},
		{"recipients-other", "odd@e.test"},
		{"recipients-delivered-bounced-late", "late@b.test"},
		{"recipients-delivered", "ok1@a.test ok2@c.test"},
	}
	rowRE := regexp.MustCompile(`<tr><td>([^<]*)`)
	for i, g := range groups {
		start := strings.Index(out, ` id="`+g.id+`"`)
		end := len(out)
		if i+1 < len(groups) {
			end = strings.Index(out, ` id="`+groups[i+1].id+`"`)
		}
		if start < 0 || end < start {
			t.Errorf("group %s missing or out of order", g.id)
			continue
		}
		var got []string
		for _, m := range rowRE.FindAllStringSubmatch(out[start:end], -1) {
			got = append(got, m[1])
		}
		if strings.Join(got, " ") != g.addrs {
			t.Errorf("group %s holds %q, want %q", g.id, got, g.addrs)
		}
	}
	if !strings.Contains(out, "then bounced late: 550 5.1.1 The mailbox does not exist") {
		t.Errorf("the late-bounced recipient's row does not say it bounced")
	}
	for _, bad := range []string{"<script", `x" onmouseover`} {
		if strings.Contains(out, bad) {
			t.Errorf("%q raw in the HTML", bad)
		}
	}
	if !strings.Contains(out, `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"`) {
		t.Errorf("the Content-Security-Policy changed")
	}
}

// TestFTHTMLContentsVerdicts: the verdicts' HTML (replay --html) has one
// entry per scenario in its contents, its name escaped, with its
// expectations' tally and its own anchors: each scenario's ids are
// numbered by its place (s1-summary, s2-summary), so that two sections
// never share one and a name never makes one.
func TestFTHTMLContentsVerdicts(t *testing.T) {
	t.Parallel()
	d := tocData()
	vs := []Verdict{
		NewVerdict(`<script>v</script>`, "a.yaml", d, []Result{{Name: "one", Pass: true}, {Name: "two", Message: "got bounced"}}),
		NewVerdict("second", "b.yaml", d, []Result{{Name: "one", Pass: true}}),
		{Name: "broken", File: "c.yaml", Error: "c.yaml:1: bad"},
	}
	var b bytes.Buffer
	if err := WriteVerdictsHTML(&b, vs); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkAnchors(t, "verdicts", out)
	nav := strings.Index(out, `<nav id="contents"`)
	if nav < 0 {
		t.Fatalf("no contents:\n%s", out)
	}
	toc := out[nav : nav+strings.Index(out[nav:], "</nav>")]
	for _, w := range []string{`<a href="#s1">&lt;script&gt;v&lt;/script&gt;</a>`, `<a href="#s1-results">expectations</a>: 1 passed, 1 failed`,
		`<a href="#s1-recipients-bounced">2 bounced</a>`, `<a href="#s2">second</a>`, `<a href="#s2-recipients-delivered">2 delivered</a>`, `<a href="#s3">broken</a> (not judged)`} {
		if !strings.Contains(toc, w) {
			t.Errorf("contents lack %q:\n%s", w, toc)
		}
	}
	if strings.Contains(out, "<script") {
		t.Errorf("raw <script in the verdicts' HTML")
	}
}
