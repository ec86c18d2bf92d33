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
	} {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
