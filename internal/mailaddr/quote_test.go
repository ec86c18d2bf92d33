package mailaddr

import "testing"

func TestQuote(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"postmaster", "postmaster"},
		{"a.b@x.test", "a.b@x.test"},
		{"jörg@x.test", "jörg@x.test"},
		{"a b@x.test", `"a b"@x.test`},
		{`a"b\c@x.test`, `"a\"b\\c"@x.test`},
		{"a@b@x.test", `"a@b"@x.test`},
		{"a..b@x.test", `"a..b"@x.test`},
		{"@x.test", `""@x.test`},
		{`"a"@x.test`, `"\"a\""@x.test`}, // the value has the quotes
	} {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestValidKeepsQuoted(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{`"a b"@x.test`, `"a b"@x.test`},
		{`"a\"b"@x.test`, `"a\"b"@x.test`},
		{`"a@b"@x.test`, `"a@b"@x.test`},
		{`""@x.test`, `""@x.test`},
		{"a b@x.test", `"a b"@x.test`},
		{`"a"b"@x.test`, `"\"a\"b\""@x.test`}, // no Quoted-string: quoted
		{`"a\"@x.test`, `"\"a\\\""@x.test`},   // its closing quote escaped
		{"plain@x.test", "plain@x.test"},
	} {
		if got := Valid(tt.in); got != tt.want {
			t.Errorf("Valid(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if again := Valid(Valid(tt.in)); again != tt.want {
			t.Errorf("Valid(Valid(%q)) = %s, want %s (Valid must keep its own output)", tt.in, again, tt.want)
		}
	}
}

func TestWithoutRootDot(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"x.test.": "x.test", "x.test": "x.test", "x.test..": "x.test..", ".": "", "": ""} {
		if got := WithoutRootDot(in); got != want {
			t.Errorf("WithoutRootDot(%q) = %q, want %q", in, got, want)
		}
	}
}
