package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/mailtext"
)

// TestDecodeMessageCharsets: a subject's encoded-words and each text part
// are decoded from the charset they declare; bytes that are not text in
// it, or not UTF-8 where none is declared, are U+FFFD, one per byte.
func TestDecodeMessageCharsets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw           string
		subject, text, html string
	}{
		{"latin-1 encoded-word and part",
			"Subject: =?iso-8859-1?q?caf=E9?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9 cr\xe8me\r\n",
			"café", "café crème\r\n", ""},
		{"windows-1252 quotes and euro, in words and a base64 part",
			"Subject: =?windows-1252?Q?=93Hi=94_=80?= =?WINDOWS-1252?B?lg==?=\r\nContent-Type: text/plain; charset=\"Windows-1252\"\r\nContent-Transfer-Encoding: base64\r\n\r\nk3F1b3RlZJQggDUgliBkb25l\r\n",
			"“Hi” €–", "“quoted” €5 – done", ""},
		{"iso-8859-1 read as browsers read it, in the subject too",
			"Subject: =?iso-8859-1?q?=80_and_=85?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n\x80 and \x85",
			"€ and …", "€ and …", ""},
		{"multipart, each part its own charset",
			"Subject: plain\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n" +
				"--b1\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n\xf0\xd2\xc9\xd7\xc5\xd4\r\n" +
				"--b1\r\nContent-Type: text/html; charset=iso-8859-15\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>=A4 caf=E9</p>\r\n--b1--\r\n",
			"plain", "Привет", "<p>€ café</p>"},
		{"HTML that declares its charset only in a meta element",
			"Subject: x\r\nContent-Type: text/html\r\n\r\n<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9 \x80</body></html>",
			"x", "café €", "<html><head><meta charset=\"iso-8859-1\"></head><body>café €</body></html>"}, // text: derived from the HTML
		{"UTF-8 as declared and by default",
			"Subject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/html\r\n\r\n<b>caf\xc3\xa9</b>",
			"café", "café", "<b>café</b>"}, // text: derived from the HTML
		{"bytes that are not text: one U+FFFD each",
			"Subject: caf\xe9 =?utf-8?q?=FF=FE?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx\xff\xfey",
			"caf\uFFFD \uFFFD\uFFFD", "x\uFFFD\uFFFDy", ""},
		{"us-ascii with 8-bit bytes",
			"Subject: =?us-ascii?q?a=E9?=\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\na\xe9",
			"a\uFFFD", "a\uFFFD", ""},
		{"an unknown charset: the word as written, the bytes as UTF-8",
			"Subject: =?x-martian?q?abc?=\r\nContent-Type: text/plain; charset=x-martian\r\n\r\nabc \xe9",
			"=?x-martian?q?abc?=", "abc \uFFFD", ""},
		{"an unknown charset beside known ones: only its word as written (RFC 2047 6.2)",
			"Subject: =?ISO-8859-1?Q?caf=E9_=80?= and =?x-bogus?Q?what?=\r\n\r\nx",
			"café € and =?x-bogus?Q?what?=", "x", ""},
		{"a message that does not parse is text",
			"no header \xe9 at all", "", "no header \uFFFD at all", ""},
	} {
		d := DecodeMessage([]byte(tc.raw))
		if d.Subject != tc.subject || d.Text != tc.text || d.HTML != tc.html {
			t.Errorf("%s:\n got subject %q text %q html %q\nwant subject %q text %q html %q",
				tc.name, d.Subject, d.Text, d.HTML, tc.subject, tc.text, tc.html)
		}
	}
}

// TestDecodeMessageHeaders: header fields come in message order, their
// values valid UTF-8, with RFC 2047 encoded-words decoded (as a mail
// client shows them, so that what an encoded-word hides is seen), and
// otherwise as written.
func TestDecodeMessageHeaders(t *testing.T) {
	t.Parallel()
	d := DecodeMessage([]byte("From: a@x.test\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nX-Evil: <script>alert(1)</script> \xe9\r\nTo: b@y.test\r\n\r\nbody"))
	var got []string
	for _, h := range d.Headers {
		got = append(got, h.Name+": "+h.Value)
	}
	want := "From: a@x.test|Subject: café|X-Evil: <script>alert(1)</script> \uFFFD|To: b@y.test"
	if strings.Join(got, "|") != want {
		t.Errorf("headers %q, want %q", strings.Join(got, "|"), want)
	}
}

// TestValidTextAsJSON: mailtext.Valid replaces bad bytes as encoding/json does,
// so a text reads the same in the API's JSON and in a body.html.
func TestValidTextAsJSON(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"plain", "a\xffb", "\xe9t\xe9", "\xf0\x9f\x99", "x\xed\xa0\x80y", "\uFFFD\xc3"} {
		b, _ := json.Marshal(s)
		var viaJSON string
		json.Unmarshal(b, &viaJSON)
		if got := mailtext.Valid(s); got != viaJSON {
			t.Errorf("mailtext.Valid(%q) = %q, JSON gives %q", s, got, viaJSON)
		}
	}
}

// TestMessageTextReadsTheSameEverywhere: a message's bad bytes are U+FFFD,
// one per byte, in the API's JSON, in its body.html and in a text body.
func TestMessageTextReadsTheSameEverywhere(t *testing.T) {
	t.Parallel()
	ts, relay, sink := componentServer(t)
	relay.mu.Lock()
	relay.msgs["h-1"] = MessageDetail{ID: "h-1", Subject: "s\xe9", Text: "t\xff\xfe", HTML: "<p>h\xff\xfe</p>"}
	relay.msgs["t-1"] = MessageDetail{ID: "t-1", Text: "t\xff\xfe"}
	relay.mu.Unlock()
	sink.mu.Lock()
	sink.msgs["5"] = MessageDetail{ID: "5", HTML: "<p>h\xff\xfe</p>", Headers: []Header{{Name: "X-Bad", Value: "v\xe9"}}}
	sink.mu.Unlock()
	for _, tc := range []struct{ path, want string }{
		{"/api/v1/messages/h-1", `"subject":"s` + "\uFFFD" + `"`},
		{"/api/v1/messages/h-1", `"text":"t` + "\uFFFD\uFFFD" + `"`},
		{"/api/v1/messages/h-1/body.html", "<p>h\uFFFD\uFFFD</p>"},
		{"/api/v1/messages/t-1/body.html", "t\uFFFD\uFFFD"},
		{"/api/v1/sink/messages/5/body.html", "<p>h\uFFFD\uFFFD</p>"},
		{"/api/v1/sink/messages/5", `"value":"v` + "\uFFFD" + `"`},
	} {
		code, _, body := do(t, "GET", ts.url+tc.path, "")
		if code != 200 || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %q, want it to hold %q", tc.path, code, body, tc.want)
		}
	}
}
