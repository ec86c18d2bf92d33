package web

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// bigAttachment is a message with a text part and a 5 MiB big.bin, base64
// in lines of 76 as mail clients write it.
func bigAttachment() string {
	data := make([]byte, 5<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.WriteString("From: a@shop.test\r\nSubject: report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n")
	b.WriteString("--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n")
	b.WriteString("--=_b\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Disposition: attachment; filename=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--=_b--\r\n")
	return b.String()
}

func attachmentsLine(d MessageDetail) string {
	var got []string
	for _, a := range d.Attachments {
		got = append(got, fmt.Sprintf("%s %q %s %d %s", a.Part, a.Filename, a.ContentType, a.Size, a.Disposition))
	}
	return strings.Join(got, "|")
}

// TestDecodeMessageAttachments: every part that is not the text or HTML
// body shown is listed with its part number (as IMAP numbers them), its
// file name (RFC 2231 and RFC 2047 decoded), its type, its size once its
// transfer encoding is undone, and its disposition.
func TestDecodeMessageAttachments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw, text, html, want string
	}{
		{"a 5 MiB attachment after the text", bigAttachment(), "see attached", "",
			`2 "big.bin" application/octet-stream 5242880 attachment`},
		{"file names in RFC 2231 and RFC 2047, an inline image, a second text part, a nested message",
			"Content-Type: multipart/mixed; boundary=o\r\n\r\n" +
				"--o\r\nContent-Type: multipart/related; boundary=r\r\n\r\n" +
				"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi <img src=cid:logo></p>\r\n" +
				"--r\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n" +
				"--o\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename*=utf-8''caf%C3%A9%20menu.txt\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9=\r\n!\r\n" +
				"--o\r\nContent-Type: application/pdf; name=\"=?utf-8?q?r=C3=A9sum=C3=A9=2Epdf?=\"\r\n\r\n%PDF\r\n" +
				"--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n--o--\r\n",
			"hi", "<p>hi <img src=cid:logo></p>", // text: derived from the HTML
			`1.2 "" image/png 8 inline|2 "café menu.txt" text/plain 6 attachment|3 "résumé.pdf" application/pdf 4 |4 "" message/rfc822 22 `},
		{"file names in RFC 2231 in Latin-1 and windows-1252, whole and in sections",
			"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
				"--o\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=iso-8859-1'de'Gr%FC%DFe.pdf\r\n\r\n%PDF\r\n" +
				"--o\r\nContent-Type: application/pdf; name*0*=windows-1252''%80uro; name*1=\" report.pdf\"\r\n\r\n%PDF\r\n--o--\r\n",
			"hi", "", `2 "Grüße.pdf" application/pdf 4 attachment|3 "€uro report.pdf" application/pdf 4 `},
		{"a text part alone, quoted-printable: no attachment",
			"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db\r\n", "a=b\r\n", "", ""},
		{"a single-part message that is an attachment",
			"Content-Type: application/zip\r\nContent-Disposition: attachment; filename=\"a.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n", "", "",
			`1 "a.zip" application/zip 4 attachment`},
	} {
		d := DecodeMessage([]byte(tc.raw))
		if got := attachmentsLine(d); got != tc.want || d.Text != tc.text || d.HTML != tc.html {
			t.Errorf("%s:\n got attachments %s text %q html %q\nwant attachments %s text %q html %q (notes %q)", tc.name, got, d.Text, d.HTML, tc.want, tc.text, tc.html, d.Notes)
		}
	}
}

// TestDecodeMessageNotes: what relaylab cannot read is said in a note
// (a charset it does not know, a broken MIME structure, a limit reached),
// and the message is still shown as well as it can be.
func TestDecodeMessageNotes(t *testing.T) {
	t.Parallel()
	deep := "Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
	for i := 1; i <= 10; i++ {
		deep += fmt.Sprintf("--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	deep += "--b10\r\nContent-Type: text/plain\r\n\r\ndeep\r\n"
	for i := 10; i >= 0; i-- {
		deep += fmt.Sprintf("--b%d--\r\n", i)
	}
	many := "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	for i := 0; i < 300; i++ {
		many += fmt.Sprintf("--m\r\nContent-Type: application/x-n\r\n\r\n%d\r\n", i)
	}
	many += "--m--\r\n"
	for _, tc := range []struct {
		name, raw, text, html string
		notes                 []string
	}{
		{"an unknown charset in a part and in a word",
			"Subject: =?x-klingon?q?Qapla=27?=\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok\r\n--b\r\nContent-Type: text/html; charset=x-klingon\r\n\r\n<p>\xe9</p>\r\n--b--\r\n",
			"ok", "<p>\uFFFD</p>",
			[]string{"the Subject field has an encoded-word in charset x-klingon, which relaylab cannot read: the word is shown as written",
				"part 2 declares charset x-klingon, which relaylab cannot read: shown as UTF-8 with \uFFFD for bytes that are not"}},
		{"a file name in RFC 2231 in an unknown charset",
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nok\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=x-klingon''a%FFb.pdf\r\n\r\n%PDF\r\n--b--\r\n",
			"ok", "",
			[]string{"part 2 has a parameter in charset x-klingon (RFC 2231), which relaylab cannot read: shown as UTF-8 with \uFFFD for bytes that are not"}},
		{"a boundary never found",
			"Content-Type: multipart/alternative; boundary=wrong\r\n\r\n--right\r\nContent-Type: text/plain\r\n\r\nhello\r\n--right\r\nContent-Type: text/html\r\n\r\n<p>hello</p>\r\n--right--\r\n",
			"--right\r\nContent-Type: text/plain\r\n\r\nhello\r\n--right\r\nContent-Type: text/html\r\n\r\n<p>hello</p>\r\n--right--\r\n", "",
			[]string{`the multipart boundary "wrong" is never found: the body is shown as one text part`}},
		{"no boundary at all",
			"Content-Type: multipart/mixed\r\n\r\nhello\r\n", "hello\r\n", "",
			[]string{`the multipart/mixed part gives no boundary: the body is shown as one text part`}},
		{"no closing boundary",
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>cut",
			"hello", "",
			[]string{`the multipart ends before its closing boundary "--b--" (the message is cut short?): part 2 and any after it are not read`}},
		{"nested too deep", deep, "", "",
			[]string{"part 1.1.1.1.1.1.1.1 nests multiparts more than 8 deep: relaylab does not read what is inside"}},
		{"too many parts", many, "", "",
			[]string{"the message has more than 100 parts: relaylab reads the first 100 and lists no more"}},
	} {
		d := DecodeMessage([]byte(tc.raw))
		if d.Text != tc.text || d.HTML != tc.html || strings.Join(d.Notes, "|") != strings.Join(tc.notes, "|") {
			t.Errorf("%s:\n got text %q html %q notes %q\nwant text %q html %q notes %q", tc.name, d.Text, d.HTML, d.Notes, tc.text, tc.html, tc.notes)
		}
	}
}

// TestMessageDetailPartsInAPI: a message's attachments and notes reach
// the API valid UTF-8, whatever the adapter gave, and the spec documents
// every field of MessageDetail and Attachment.
func TestMessageDetailPartsInAPI(t *testing.T) {
	t.Parallel()
	ts, relay, _ := componentServer(t)
	relay.mu.Lock()
	relay.msgs["a-1"] = MessageDetail{ID: "a-1", Attachments: []Attachment{{Part: "2", Filename: "f\xe9.bin", ContentType: "application/octet-stream", Size: 5 << 20, Disposition: "attachment"}},
		Notes: []string{"part 2 declares charset x-\xff"}}
	relay.mu.Unlock()
	for _, want := range []string{`"attachments":[{"part":"2","filename":"f` + "\uFFFD" + `.bin","content_type":"application/octet-stream","size":5242880,"disposition":"attachment"}]`,
		`"notes":["part 2 declares charset x-` + "\uFFFD" + `"]`} {
		code, _, body := do(t, "GET", ts.url+"/api/v1/messages/a-1", "")
		if code != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET /api/v1/messages/a-1: %d %s, want it to hold %s", code, body, want)
		}
	}
	for name, v := range map[string]any{"MessageDetail": MessageDetail{}, "Attachment": Attachment{}} {
		props, _ := specProperties(t, name)
		for key, field := range jsonFields(v) {
			if _, ok := props[key]; !ok {
				t.Errorf("openapi.yaml: schema %s has no property %q (%s.%s)", name, key, name, field)
			}
		}
	}
}

// TestDecodeMessageAttachedMessage: a message attached whole (a forward,
// the original in a bounce) is listed with its sender, subject and date,
// decoded, and its size once any transfer encoding is undone; one whose
// header does not read is listed all the same, with a note.
func TestDecodeMessageAttachedMessage(t *testing.T) {
	t.Parallel()
	inner := "From: =?utf-8?q?Zo=C3=AB?= <zoe@shop.test>\r\nSubject: =?utf-8?q?invoice_=E2=84=96_7?=\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nsee attached\r\n"
	raw := "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nfyi\r\n" +
		"--o\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + inner +
		"--o\r\nContent-Type: message/global\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(inner)) + "\r\n" +
		"--o\r\nContent-Type: message/rfc822\r\n\r\nnot a header at all\r\n--o--\r\n"
	d := DecodeMessage([]byte(raw))
	if len(d.Attachments) != 3 {
		t.Fatalf("attachments %+v, want three", d.Attachments)
	}
	want := AttachedMessage{From: "Zoë <zoe@shop.test>", Subject: "invoice № 7", Date: "Sat, 28 Nov 2026 10:00:00 +0000"}
	// The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1).
	for i, size := range []int{len(inner) - 2, len(inner)} {
		if a := d.Attachments[i]; a.Message == nil || *a.Message != want || a.Size != int64(size) {
			t.Errorf("attachment %d: %+v (message %+v), want size %d and %+v", i, a, a.Message, size, want)
		}
	}
	if a := d.Attachments[2]; a.Message != nil || a.ContentType != "message/rfc822" || a.Part != "4" {
		t.Errorf("unreadable attached message: %+v, want it listed as part 4 without a summary", a)
	}
	if n := strings.Join(d.Notes, "|"); n != "part 4 is an attached message whose header relaylab cannot read: it is listed without its sender and subject" {
		t.Errorf("notes %q", n)
	}
}

// TestDecodeMessageAttachedMessageNotes: what the list shows of a message
// attached whole (its From, Subject and Date) gets the notes the message's
// own fields get, said of the part: a charset relaylab cannot read, a word
// that does not decode, bytes that are not UTF-8. Before, they were shown
// as written or with U+FFFD and nothing said why.
func TestDecodeMessageAttachedMessageNotes(t *testing.T) {
	t.Parallel()
	inner := "From: =?x-klingon?q?Kor?= <kor@shop.test>\r\nSubject: =?utf-8?b?!!?= and caf\xe9\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nsee attached\r\n"
	raw := "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nfyi\r\n" +
		"--o\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--o--\r\n"
	d := DecodeMessage([]byte(raw))
	got := strings.Join(d.Notes, "\n")
	for _, want := range []string{
		"part 2, an attached message: the From field has an encoded-word in charset x-klingon, which relaylab cannot read",
		"part 2, an attached message: the Subject field has an encoded-word that cannot be decoded, \"=?utf-8?b?!!?=\"",
		"part 2, an attached message: the Subject field holds bytes that are not UTF-8",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("notes lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Date") {
		t.Errorf("a note about a Date that reads:\n%s", got)
	}
}
