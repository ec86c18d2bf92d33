package mailtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHeader(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"=?iso-8859-1?q?caf=E9_cr=E8me_=80?=":     "café crème €", // 0x80 read as windows-1252
		"=?windows-1252?Q?=93quoted=94?=":         "“quoted”",
		"=?koi8-r?b?8NLJ18XU?=":                   "Привет",
		"=?x-unknown?q?abc?=":                     "=?x-unknown?q?abc?=", // stays readable as written
		"plain \xff subject":                      "plain \ufffd subject",
		"=?utf-8?q?na=C3=AFve?= and =?utf-8?q??=": "naïve and ",
		// RFC 2047 6.2, 6.3: a word that cannot be decoded stays as
		// written, and every other word is decoded all the same.
		"=?ISO-8859-1?Q?caf=E9_=80?= and =?x-bogus?Q?what?=":              "café € and =?x-bogus?Q?what?=",
		"=?x-bogus?Q?what?= =?utf-8?q?caf=C3=A9?=":                        "=?x-bogus?Q?what?= café",
		"=?utf-8?q?a?= =?x-bogus?q?b?= =?utf-8?q?c?=":                     "a =?x-bogus?q?b?= c",
		"=?utf-8?q?a?= \r\n =?utf-8?q?b?= x =?utf-8?b?!!?= =?utf-8?q?c?=": "ab x =?utf-8?b?!!?= c",
		"=?utf-8?q?a?=": "a",
		"=?x-bogus?Q?a=?utf-8?q?b?= =?utf-8?q?c?=": "=?x-bogus?Q?a=?utf-8?q?b?= c", // no word decoded from inside another
		"=?utf-8?q?a": "=?utf-8?q?a",
		// Other spellings of UTF-8 and US-ASCII, which mime.WordDecoder
		// leaves to its CharsetReader; bytes that are not text are U+FFFD.
		"=?utf8?q?na=C3=AFve?=":  "naïve",
		"=?UTF8?B?w6k=?=":        "é",
		"=?ascii?q?plain?=":      "plain",
		"=?utf8?q?bad=FF_byte?=": "bad\ufffd byte",
	} {
		if got := Header(in); got != want {
			t.Errorf("Header(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, charset, want string }{
		{"caf\xe9", "ISO-8859-1", "café"},
		{"\x93hi\x94", "windows-1252", "“hi”"},
		{"\xa4", "iso-8859-15", "€"},
		{"caf\xe9", "", "caf\ufffd"}, // no charset: read as UTF-8
		{"caf\xe9", "no-such-charset", "caf\ufffd"},
		{"ok \xff\xfe", "utf-8", "ok \ufffd\ufffd"}, // one U+FFFD per byte
	} {
		if got := Text([]byte(tc.in), tc.charset); got != tc.want {
			t.Errorf("Text(%q, %q) = %q, want %q", tc.in, tc.charset, got, tc.want)
		}
	}
}

// FuzzHeader: any header value decodes to valid UTF-8, without a panic,
// and text that is valid UTF-8 with no encoded-word comes back as it was
// (C1 controls aside, which read as windows-1252).
func FuzzHeader(f *testing.F) {
	for _, s := range []string{"=?iso-8859-1?q?caf=E9?=", "=?utf-8?b?w6k=?= x", "=?koi8-r?q?=F0?=", "=?x?q??=", "plain", "\xff\xfe", "=?utf-8?q?=FF?=", "=?ISO-8859-1?Q?caf=E9_=80?= and =?x-bogus?Q?what?=", "=?x?q?a?= =?utf-8?q?b?="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := Header(v)
		if !utf8.ValidString(got) {
			t.Fatalf("Header(%q) = %q, not valid UTF-8", v, got)
		}
		if utf8.ValidString(v) && !strings.Contains(v, "=?") && !strings.ContainsFunc(v, func(r rune) bool { return r >= 0x80 && r <= 0x9f }) && got != v {
			t.Fatalf("Header(%q) = %q, want it unchanged", v, got)
		}
	})
}

// FuzzText: any bytes in any charset decode to valid UTF-8, without a
// panic.
func FuzzText(f *testing.F) {
	for _, c := range []string{"", "utf-8", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "utf-16", "gb18030", "nope"} {
		f.Add([]byte("caf\xe9 \x80\x93\xff"), c)
	}
	f.Fuzz(func(t *testing.T, b []byte, charset string) {
		if got := Text(b, charset); !utf8.ValidString(got) {
			t.Fatalf("Text(%q, %q) = %q, not valid UTF-8", b, charset, got)
		}
	})
}

// TestKnown: the charsets Text can read are known, whatever their case
// or label; those it reads as UTF-8 for want of a decoder are not.
func TestKnown(t *testing.T) {
	t.Parallel()
	for cs, want := range map[string]bool{
		"": true, "UTF-8": true, "us-ascii": true, "ISO-8859-1": true, "latin1": true, "koi8-r": true, " Windows-1252 ": true,
		"x-klingon": false, "no-such-charset": false, "utf-9": false,
	} {
		if got := Known(cs); got != want {
			t.Errorf("Known(%q) = %v, want %v", cs, got, want)
		}
	}
}

// TestUnreadCharsets: the charsets of a header value's encoded-words
// that Header leaves as written because it cannot read them, each once,
// in the order they first appear.
func TestWords(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"=?utf-8?q?a?= and =?x?b?Yg==?=":  "=?utf-8?q?a?=|=?x?b?Yg==?=",
		"=?x-bogus?Q?a=?utf-8?q?b?= tail": "=?x-bogus?Q?a=?utf-8?q?b?=",
		"=?utf-8?q?a":                     "",
		"no words =? ?= here":             "",
	} {
		if got := strings.Join(Words(in), "|"); got != want {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnreadCharsets(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"=?x-klingon?q?abc?=":                               "x-klingon",
		"=?utf-8?q?caf=C3=A9?= =?koi8-r?b?8NLJ18XU?=":       "",
		"=?ISO-8859-1?Q?caf=E9?= and =?x-bogus?Q?what?=":    "x-bogus",
		"=?x-a?q?1?= =?utf-8?q?b?= =?X-A?q?2?= =?x-b?q?3?=": "x-a|x-b",
		"plain, no word":                                    "",
		"=?utf8?q?a?= =?ascii?q?b?=":                        "",
	} {
		if got := strings.Join(UnreadCharsets(in), "|"); got != want {
			t.Errorf("UnreadCharsets(%q) = %q, want %q", in, got, want)
		}
	}
}
