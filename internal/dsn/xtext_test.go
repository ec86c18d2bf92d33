package dsn

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestXtext(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"QQ314159", "QQ314159"},
		{"a+b=c d\x01", "a+2Bb+3Dc+20d+01"},
		{"~!\x7f\xff", "~!+7F+FF"},
		{"zoë", "zo+C3+AB"},
		{"\r\n", "+0D+0A"},
	} {
		got := Xtext(tt.in)
		if got != tt.want {
			t.Errorf("Xtext(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := DecodeXtext(got); back != tt.in || err != nil {
			t.Errorf("DecodeXtext(%q) = %q, %v, want %q back", got, back, err, tt.in)
		}
		if back := DecodeXtextLenient(got); back != tt.in {
			t.Errorf("DecodeXtextLenient(%q) = %q, want %q back", got, back, tt.in)
		}
	}
}

func TestDecodeXtext(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
		octet    int    // 0: accepted
		reason   string // the whole Error()
	}{
		{in: "QQ+2B+20x", want: "QQ+ x"},
		{in: "+41+42", want: "AB"},
		{in: "id+2Bx", want: "id+x"},
		{in: "a+2b", octet: 2, reason: `"+" at octet 2 is not followed by two upper-case hex digits`},
		{in: "+ZZ", octet: 1, reason: `"+" at octet 1 is not followed by two upper-case hex digits`},
		{in: "ab+", octet: 3, reason: `"+" at octet 3 is not followed by two upper-case hex digits`},
		{in: "ab+4", octet: 3, reason: `"+" at octet 3 is not followed by two upper-case hex digits`},
		{in: "a=b", octet: 2, reason: "octet 2 must be written as +3D"},
		{in: "a b", octet: 2, reason: "octet 2 must be written as +20"},
		{in: "ab\x7f", octet: 3, reason: "octet 3 must be written as +7F"},
		{in: "zoë", octet: 3, reason: "octet 3 must be written as +C3"},
		{in: "+0D\n", octet: 4, reason: "octet 4 must be written as +0A"},
	} {
		got, err := DecodeXtext(tt.in)
		checkDecode(t, "DecodeXtext", tt.in, got, err, tt.want, tt.octet, tt.reason)
	}
}

func TestDecodeXtextLenient(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":          "",
		"id+2Bx":    "id+x",
		"a+2b":      "a+2b", // lower-case hex is no escape
		"a+":        "a+",
		"a+4":       "a+4",
		"+41+":      "A+",
		"a b=c":     "a b=c",
		"zoë+0D+0A": "zoë\r\n",
		"++41":      "+A",
	} {
		if got := DecodeXtextLenient(in); got != want {
			t.Errorf("DecodeXtextLenient(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeUTF8AddrXtext(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
		octet    int
		reason   string
	}{
		{in: `j\x{F6}rg@y.test`, want: "jörg@y.test"},
		{in: "jörg@y.test", want: "jörg@y.test"}, // utf-8-addr-unitext
		{in: `\x{1F600}@x`, want: "😀@x"},
		{in: `\x{10FFFF}`, want: "\U0010FFFF"},
		{in: `a\x{2B}b\x{3D}c\x{5C}d@r.test`, want: `a+b=c\d@r.test`},
		{in: `\x{5C}x{41}`, want: `\x{41}`},
		{in: `"a\x{20}b"@x.test`, want: `"a b"@x.test`}, // a quoted local part's space (RFC 6533 3)
		{in: "a\xffb", octet: 2, reason: "it is not valid UTF-8"},
		{in: `a\b`, octet: 2, reason: `"\" at octet 2 does not start an escape like \x{2B}`},
		{in: `ab\`, octet: 3, reason: `"\" at octet 3 does not start an escape like \x{2B}`},
		{in: `\x{}`, octet: 1, reason: `"\" at octet 1 does not start an escape like \x{2B}`},
		{in: `\x{41`, octet: 1, reason: `"\" at octet 1 does not start an escape like \x{2B}`},
		{in: `\x{1234567}`, octet: 1, reason: `"\" at octet 1 does not start an escape like \x{2B}`},
		{in: `é\x{f6}`, octet: 3, reason: "the escape at octet 3 has a character that is not an upper-case hex digit"},
		{in: `\x{G\x{41}}`, octet: 1, reason: "the escape at octet 1 has a character that is not an upper-case hex digit"},
		{in: `x\x{0A}`, octet: 2, reason: "the escape at octet 2 stands for a control or no character at all"},
		{in: `\x{7F}`, octet: 1, reason: "the escape at octet 1 stands for a control or no character at all"},
		{in: `\x{D800}`, octet: 1, reason: "the escape at octet 1 stands for a control or no character at all"},
		{in: `\x{110000}`, octet: 1, reason: "the escape at octet 1 stands for a control or no character at all"},
		{in: "a+b", octet: 2, reason: `octet 2 must be written as \x{2B}`},
		{in: "a=b", octet: 2, reason: `octet 2 must be written as \x{3D}`},
		{in: "a b", octet: 2, reason: `octet 2 must be written as \x{20}`},
		{in: "zoë\x7f", octet: 5, reason: `octet 5 must be written as \x{7F}`},
	} {
		got, err := DecodeUTF8AddrXtext(tt.in)
		checkDecode(t, "DecodeUTF8AddrXtext", tt.in, got, err, tt.want, tt.octet, tt.reason)
	}
}

func TestDecodeUTF8AddrLenient(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain+tag@r.test": "plain+tag@r.test",
		`j\x{f6}rg`:        "jörg", // lower-case hex, as some MTAs write it
		`j\x{F6}rg`:        "jörg",
		`a\x{20}b`:         "a b",
		`\x{1F600}`:        "😀",
		`\x{0A}`:           `\x{0A}`, // a control stays escaped
		`\x{7F}`:           `\x{7F}`,
		`\x{D800}`:         `\x{D800}`,
		`\x{110000}`:       `\x{110000}`,
		`\x{41`:            `\x{41`,
		`\x{1234567}`:      `\x{1234567}`,
		`a\b\x{41}`:        `a\bA`,
		`\\x{41}`:          `\A`,
		`\x{G\x{41}}`:      `\x{GA}`, // a "\" that starts no escape is kept, and reading goes on after it
		`\x{5C}x{41}`:      `\x{41}`,
		"a\xff\\x{41}":     "a\xffA",
	} {
		if got := DecodeUTF8AddrLenient(in); got != want {
			t.Errorf("DecodeUTF8AddrLenient(%q) = %q, want %q", in, got, want)
		}
	}
}

func checkDecode(t *testing.T, name, in, got string, err error, want string, octet int, reason string) {
	t.Helper()
	if octet == 0 {
		if err != nil || got != want {
			t.Errorf("%s(%q) = %q, %v, want %q", name, in, got, err, want)
		}
		return
	}
	var xe *XtextError
	if !errors.As(err, &xe) {
		t.Errorf("%s(%q) = %q, %v, want an *XtextError at octet %d", name, in, got, err, octet)
		return
	}
	if xe.Octet != octet || xe.Error() != reason || got != "" {
		t.Errorf("%s(%q) = %q, octet %d %q, want octet %d %q", name, in, got, xe.Octet, xe.Error(), octet, reason)
	}
}

// FuzzXtextRoundTrip: whatever the string, each encoder's output decodes
// back to it, strictly and leniently, except where RFC 6533 3 leaves the
// strict decoder to refuse (a control in a utf-8 address); and
// whatever a strict decoder takes, the lenient one reads the same way.
func FuzzXtextRoundTrip(f *testing.F) {
	for _, s := range []string{"", "QQ+2B1", "a+b=c d\x01", "zoë@r.test", `x\y@r.test`, `\x{41}`, "日@r.test", "a\xffb", "a b", "+", `\x{G\x{41}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := Xtext(s)
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; c < '!' || c > '~' || c == '=' {
				t.Fatalf("Xtext(%q) = %q has octet %#x", s, enc, c)
			}
		}
		if got, err := DecodeXtext(enc); got != s || err != nil {
			t.Fatalf("DecodeXtext(Xtext(%q)) = %q, %v", s, got, err)
		}
		if got := DecodeXtextLenient(enc); got != s {
			t.Fatalf("DecodeXtextLenient(Xtext(%q)) = %q", s, got)
		}

		enc = UTF8AddrXtext(s)
		want := string([]rune(s)) // each invalid octet is written as U+FFFD
		refused := strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })
		got, err := DecodeUTF8AddrXtext(enc)
		switch {
		case refused < 0 && (got != want || err != nil):
			t.Fatalf("DecodeUTF8AddrXtext(UTF8AddrXtext(%q)) = %q, %v, want %q", s, got, err, want)
		case refused >= 0 && err == nil:
			t.Fatalf("DecodeUTF8AddrXtext(UTF8AddrXtext(%q)) = %q, want a refusal of the control", s, got)
		case refused >= 0 && !strings.HasPrefix(enc[octetOf(t, err, enc)-1:], `\x{`):
			t.Fatalf("DecodeUTF8AddrXtext(%q): %v, want it to point at an escape", enc, err)
		}
		if !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			if got := DecodeUTF8AddrLenient(enc); got != want {
				t.Fatalf("DecodeUTF8AddrLenient(UTF8AddrXtext(%q)) = %q, want %q", s, got, want)
			}
		}

		// s as something another MTA wrote.
		if got, err := DecodeXtext(s); err == nil {
			if lenient := DecodeXtextLenient(s); lenient != got {
				t.Fatalf("%q: strict xtext %q, lenient %q", s, got, lenient)
			}
		} else {
			octetOf(t, err, s)
		}
		if got, err := DecodeUTF8AddrXtext(s); err == nil {
			if lenient := DecodeUTF8AddrLenient(s); lenient != got || !utf8.ValidString(got) {
				t.Fatalf("%q: strict utf-8-addr-xtext %q, lenient %q", s, got, lenient)
			}
		} else {
			octetOf(t, err, s)
		}
	})
}

// octetOf returns the octet an *XtextError names, failing the test when
// err is not one or names no octet of in.
func octetOf(t *testing.T, err error, in string) int {
	t.Helper()
	var xe *XtextError
	if !errors.As(err, &xe) || xe.Octet < 1 || xe.Octet > len(in) || !strings.Contains(xe.Error(), "octet") && !strings.Contains(xe.Error(), "UTF-8") {
		t.Fatalf("%q refused with %v, want an *XtextError naming one of its octets", in, err)
	}
	return xe.Octet
}
