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
