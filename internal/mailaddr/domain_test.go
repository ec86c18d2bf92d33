package mailaddr

import (
	"strings"
	"testing"
)

func TestDomainFault(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want string // contained in the fault; "" for none
	}{
		{"b.test", ""},
		{"b.test.", ""},
		{"localhost", ""},
		{"xn--bcher-kva.test", ""},
		{"bücher.test", ""},
		{"a-b.c0.test", ""},
		{"b..test", "empty label"},
		{".b.test", "empty label"},
		{"b.test..", "empty label"},
		{"", "empty"},
		{"-b.test", `"-b" starts or ends with a hyphen`},
		{"b-.test", "hyphen"},
		{"b_c.test", `'_' is not a letter`},
		{"a b", `' ' is not a letter`},
		{strings.Repeat("a", 64) + ".test", "over 63 octets"},
		{strings.Repeat("a.", 130) + "test", "over the 255"},
	}
	for _, tc := range cases {
		got := DomainFault(tc.in)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("DomainFault(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The sink runs it on every MAIL and RCPT.
func TestDomainFaultAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { DomainFault("mail.example.test") }); n != 0 {
		t.Errorf("DomainFault of a good domain allocates %v times, want 0", n)
	}
}

// TestLiteralFaultShort: the refusal of a long address literal quotes it
// cut, so that the reply stays within 512 octets; a 600-digit literal made
// a 717-octet reply.
func TestLiteralFaultShort(t *testing.T) {
	t.Parallel()
	for _, dom := range []string{"[" + strings.Repeat("1", 600) + "]", "[IPv6:" + strings.Repeat("1:", 300) + "]", "[x:" + strings.Repeat("y", 600) + "]"} {
		why := LiteralFault("a@" + dom)
		if why == "" || len(why) > 300 {
			t.Errorf("%.12s...: %d octets: %.80q", dom, len(why), why)
		}
	}
}
