package textsafe

import "testing"

func TestEscape(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"plain text\twith a tab\nand a line", "plain text\twith a tab\nand a line"},
		{"v=spf1 \x1b[2J\x1b]0;pwned\x07 -all", `v=spf1 \x1b[2J\x1b]0;pwned\x07 -all`},
		{"cr\rdel\x7fnul\x00", `cr\x0ddel\x7fnul\x00`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bad utf-8 \xff\xfe end", `bad utf-8 \xff\xfe end`},
		{"ünïcödé, 日本, emoji 🙂", "ünïcödé, 日本, emoji 🙂"},
		// Bidi controls: an override shows a domain backwards.
		{"a\u202emoc.elgoog@x", `a\u202emoc.elgoog@x`},
		{"\u202a\u202b\u202c\u202d", `\u202a\u202b\u202c\u202d`},
		{"\u2066i\u2067s\u2068o\u2069", `\u2066i\u2067s\u2068o\u2069`},
		{"lrm\u200e rlm\u200f alm\u061c", `lrm\u200e rlm\u200f alm\u061c`},
		// Their neighbours stay: a zero-width joiner, Arabic letters,
		// and U+2065 and U+2070 on either side of the isolates.
		{"\u200d\u0627\u0644 \u2065\u2070", "\u200d\u0627\u0644 \u2065\u2070"},
		// Invisible characters: "pay\u200bpal" is not "paypal". The
		// zero width joiner and non-joiner stay (emoji, Persian).
		{"pay\u200bpal@x", `pay\u200bpal@x`},
		{"\ufeffa\u2060b\u2064c\u180e", `\ufeffa\u2060b\u2064c\u180e`},
		{"\U0001F469\u200d\U0001F4BB mi\u200cxed", "\U0001F469\u200d\U0001F4BB mi\u200cxed"},
	} {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
