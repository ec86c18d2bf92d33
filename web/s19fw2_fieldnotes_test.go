package web

import (
	"strings"
	"testing"
)

// TestDecodeMessageFieldNotes: a header field the page cannot show as
// sent gets a note, whichever field it is and whatever the reason: an
// encoded-word that does not decode (shown as written), one whose text
// is not in the charset it names, and raw bytes that are not UTF-8
// (shown as U+FFFD), as an unknown charset always had.
func TestDecodeMessageFieldNotes(t *testing.T) {
	t.Parallel()
	const notUTF8 = "holds bytes that are not UTF-8, such as Latin-1 written raw: shown with \uFFFD for each; " +
		"a header field may hold UTF-8 (RFC 6532 3.2) but text in another charset only as an RFC 2047 encoded-word that names it, so the sender should write it so"
	for _, tc := range []struct {
		name, header, field, shown string
		notes                      []string
	}{
		{"a B word that is not base64", "Subject: =?utf-8?b?!!!notbase64?=\r\n", "Subject", "=?utf-8?b?!!!notbase64?=",
			[]string{`the Subject field has an encoded-word that cannot be decoded, "=?utf-8?b?!!!notbase64?=" (RFC 2047 4.1: the text of a B word is base64, and this is not): the word is shown as written`}},
		{"a Q word with a bad escape, beside a good word", "Subject: =?utf-8?q?ok?= =?utf-8?q?a=ZZ?=\r\n", "Subject", "ok =?utf-8?q?a=ZZ?=",
			[]string{`the Subject field has an encoded-word that cannot be decoded, "=?utf-8?q?a=ZZ?=" (RFC 2047 4.2: the text of a Q word is printable ASCII with =XX for other octets, and this is not): the word is shown as written`}},
		{"an encoding that is neither B nor Q", "Subject: =?utf-8?x?abc?=\r\n", "Subject", "=?utf-8?x?abc?=",
			[]string{`the Subject field has an encoded-word that cannot be decoded, "=?utf-8?x?abc?=" (RFC 2047 4: the encoding is B or Q, and this one is "x"): the word is shown as written`}},
		{"a UTF-8 word whose text is Latin-1", "Subject: =?utf-8?q?na=EFve?=\r\n", "Subject", "na\uFFFDve",
			[]string{`the Subject field has an encoded-word, "=?utf-8?q?na=EFve?=", whose text is not UTF-8 though its charset says so: shown with ` + "\uFFFD" + ` for bytes that are not`}},
		{"raw Latin-1 in Subject", "Subject: na\xefve\r\n", "Subject", "na\uFFFDve", []string{"the Subject field " + notUTF8}},
		{"raw Latin-1 in From", "From: Jos\xe9 <jose@shop.test>\r\n", "From", "", []string{"the From field " + notUTF8}},
		{"a bad word in a display name", "From: =?utf-8?b?***?= <jose@shop.test>\r\n", "From", "=?utf-8?b?***?= <jose@shop.test>",
			[]string{`the From field has an encoded-word that cannot be decoded, "=?utf-8?b?***?=" (RFC 2047 4.1: the text of a B word is base64, and this is not): the word is shown as written`}},
		{"two Subject fields alike: said once", "Subject: na\xefve\r\nSubject: na\xefve\r\n", "Subject", "na\uFFFDve", []string{"the Subject field " + notUTF8}},
		{"UTF-8 raw (RFC 6532) and good words: no note", "Subject: caf\xc3\xa9 =?iso-8859-1?q?na=EFve?=\r\nFrom: =?utf-8?q?Zo=C3=AB?= <zoe@shop.test>\r\n", "Subject", "café naïve", nil},
	} {
		d := DecodeMessage([]byte(tc.header + "\r\nbody\r\n"))
		shown := ""
		for _, h := range d.Headers {
			if h.Name == tc.field {
				shown = h.Value
				break
			}
		}
		if tc.shown != "" && shown != tc.shown || strings.Join(d.Notes, "|") != strings.Join(tc.notes, "|") {
			t.Errorf("%s:\n got %s %q, notes %q\nwant %s %q, notes %q", tc.name, tc.field, shown, d.Notes, tc.field, tc.shown, tc.notes)
		}
	}
}
