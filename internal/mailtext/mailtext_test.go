package mailtext

import (
	"testing"
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
