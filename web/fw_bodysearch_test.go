package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// bodyMsgs are messages whose words are in their bodies only: a
// quoted-printable text part, an HTML-only message (entities, a style
// element, a word split by a tag), a base64 text part in Latin-1, and a
// multipart/alternative whose HTML says what its text does not.
var bodyMsgs = []inboxRow{
	{id: 1, session: 1, from: "app@shop.test", rcpts: "bob@shop.test", code: 250, raw: "From: a@shop.test\r\nSubject: one\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nHi Zo=C3=AB, your code is T1-123456.\r\n"},
	{id: 2, session: 1, from: "app@shop.test", rcpts: "bob@shop.test", code: 250, raw: "From: a@shop.test\r\nSubject: two\r\nContent-Type: text/html\r\n\r\n" +
		"<html><head><style>.secret { color: red }</style></head><body><p>Caf&eacute; <b>Ed</b>ition</p><a href=\"https://x.test/hidden-url\">reset</a></body></html>\r\n"},
	{id: 3, session: 1, from: "app@shop.test", rcpts: "bob@shop.test", code: 250, raw: "From: a@shop.test\r\nSubject: three\r\nContent-Type: text/plain; charset=iso-8859-1\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nR3L832UgYXVzIE3cbmNoZW4=\r\n"},
	{id: 4, session: 1, from: "app@shop.test", rcpts: "bob@shop.test", code: 250, raw: "From: a@shop.test\r\nSubject: four\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain words\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>only in the html</p>\r\n--b--\r\n"},
}

// TestSearchBody: a plain word matches the body's text (decoded, the
// text of an HTML part, any case), and body: the body alone; what the
// HTML does not show (a style, a link's address) is not matched.
func TestSearchBody(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	addInbox(t, st, bodyMsgs...)
	ts := startServer(t, Options{Store: st, Sink: newFakeSink()})
	for _, tc := range []struct{ q, want string }{
		{"t1-123456", "1"},            // a quoted-printable text part
		{"ZOË", "1"},                  // decoded, any case
		{"café", "2"},                 // an entity of an HTML-only message
		{"edition", "2"},              // a word a tag splits
		{"secret", ""},                // a style is not text
		{"hidden-url", ""},            // nor a link's address
		{"grüße münchen", "3"},        // base64, Latin-1
		{"body:html", "4"},            // the HTML part of an alternative
		{"body:plain body:html", "4"}, // both parts
		{"body:two", ""},              // body: is not the subject
		{"two", "2"},                  // a plain word still finds the subject
		{"-body:code", "4,3,2"},       //
		{`body:"your code is"`, "1"},  // a phrase
	} {
		p := inbox(t, ts.url, "?q="+url.QueryEscape(tc.q))
		if got := p.ids(); got != tc.want {
			t.Errorf("q=%q: %q; want %q", tc.q, got, tc.want)
		}
	}
}

// TestHTMLText: the text an HTML body shows, a line a block.
func TestHTMLText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"<p>Hi <b>Zoë</b>, code <code>t1</code></p><p>bye</p>":         "Hi Zoë, code t1\nbye",
		"<html><head><title>T</title><style>p{}</style></head><body>x": "x",
		"a &amp; b<br>c":                                   "a & b\nc",
		"<script>alert(1)</script>ok":                      "ok",
		"<table><tr><td>a</td><td>b</td></tr></table>":     "a b",
		"plain   text":                                     "plain text",
		"<noscript><p>shown</p></noscript><!-- hidden -->": "shown",
	} {
		if got := htmlText(in); got != want {
			t.Errorf("htmlText(%q) = %q; want %q", in, got, want)
		}
	}
}

// BenchmarkInboxBodySearch: searches over 20,000 stored messages of 2 KiB
// (a multipart/alternative, its text part quoted-printable and its HTML
// part), that match none, so that each request reads maxInboxScan: a
// qualifier the header answers (subject:), and a plain word and body:,
// which read each message's body. It reports the messages read a second.
//
//	go test -run '^$' -bench InboxBodySearch -benchtime 20x ./web/
func BenchmarkInboxBodySearch(b *testing.B) {
	const stored = 20000
	st := openStore(b, nil)
	para := strings.Repeat("Caf=C3=A9 lorem ipsum dolor sit amet, consectetur =\r\nadipiscing elit. ", 10)
	html := strings.Repeat("<p>Caf&eacute; <b>lorem</b> ipsum dolor sit amet</p>", 18)
	rows := make([]inboxRow, 0, 1000)
	for i := 1; i <= stored; i++ {
		raw := fmt.Sprintf("From: =?UTF-8?Q?Caf=C3=A9_Shop?= <news@shop.test>\r\nTo: user%d@example.test\r\n"+
			"Subject: Your order %d\r\nMessage-ID: <%d@shop.test>\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: multipart/alternative; boundary=bb\r\n\r\n--bb\r\nContent-Type: text/plain; charset=utf-8\r\n"+
			"Content-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n--bb\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n--bb--\r\n", i, i, i, para, html)
		if i == 1 {
			b.Logf("each message is %d bytes", len(raw))
		}
		rows = append(rows, inboxRow{id: int64(i), session: int64(i), from: "news@shop.test", rcpts: fmt.Sprintf("user%d@example.test", i), code: 250, raw: raw})
		if len(rows) == cap(rows) {
			addInbox(b, st, rows...)
			rows = rows[:0]
		}
	}
	s, err := New(Options{Store: st, Sink: newFakeSink()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, bc := range []struct{ name, q string }{{"subject", "subject:no-such-text"}, {"word", "no-such-text"}, {"body", "body:no-such-text"}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", "http://127.0.0.1/api/v1/sink/messages?q="+bc.q, nil))
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"searched":5000`) {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.N*maxInboxScan)/b.Elapsed().Seconds(), "messages/s")
		})
	}
}
