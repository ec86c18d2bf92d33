package sink

import (
	"strings"
	"testing"
)

// Paths and EHLO arguments whose syntax is wrong are refused, saying
// where; replies that echo a long address or name stay within RFC 5321
// 4.5.3.1.5's 512 octets.
func TestAddressSyntaxConformance(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	long := strings.Repeat("a", 1500)
	cases := []struct {
		name  string
		ehlo  bool
		steps []step
	}{
		{"two dots in the recipient's domain", true, []step{{"MAIL FROM:<a@b.test>", 250, ""}, {"RCPT TO:<a@b..test>", 553, `5.1.3 Bad recipient address syntax: the domain "b..test" is not a domain name: it has an empty label`}}},
		{"hyphen at a label's start", true, []step{{"MAIL FROM:<a@b.test>", 250, ""}, {"RCPT TO:<a@-b.test>", 553, `5.1.3 Bad recipient address syntax: the domain "-b.test" is not a domain name: the label "-b" starts or ends with a hyphen`}}},
		{"underscore in the sender's domain", true, []step{{"MAIL FROM:<a@b_c.test>", 553, "5.1.7 Bad sender address syntax: the domain"}}},
		{"good domains stay", true, []step{{"MAIL FROM:<a@b-c.test.>", 250, ""}, {"RCPT TO:<u@sink.test>", 250, ""}, {"RCPT TO:<u@[192.0.2.1]>", 250, ""}, {"RCPT TO:<Postmaster>", 250, ""}}},
		{"EHLO literal of three numbers", false, []step{{"EHLO [1.2.3]", 501, "5.5.2 Syntax error in the EHLO argument: [1.2.3] is not an IPv4 address literal"}, {"EHLO [192.0.2.1]", 250, ""}}},
		{"EHLO of two words", false, []step{{"EHLO a b", 501, "5.5.2 Syntax error in the EHLO argument: EHLO and HELO take one domain or address literal"}, {"EHLO a", 250, ""}}},
		{"EHLO that is no domain", false, []step{{"EHLO a..b", 501, `5.5.2 Syntax error in the EHLO argument: "a..b" is neither a domain name nor an address literal`}}},
		{"later EHLO of two words", true, []step{{"EHLO x y", 501, "5.5.2 Syntax error in the EHLO argument"}, {"MAIL FROM:<a@b.test>", 250, ""}}},
		{"EHLO name that resolves nowhere stays", false, []step{{"EHLO nowhere-at-all.test", 250, ""}}},
		{"EHLO with an underscore stays", false, []step{{"EHLO my_pc", 250, ""}}},
		{"invalid UTF-8 recipient", true, []step{{"MAIL FROM:<j\xc3\xb6rg@b.test> SMTPUTF8", 250, ""}, {"RCPT TO:<j\xff@b.test>", 501, "5.1.3 Bad recipient address syntax: octet 0xff at octet 2 is not UTF-8"}, {"RCPT TO:<j\xc3\xb6@b.test>", 250, ""}}},
		{"invalid UTF-8 sender", true, []step{{"MAIL FROM:<\xc3@b.test> SMTPUTF8", 501, "5.1.7 Bad sender address syntax: octet 0xc3 at octet 1 is not UTF-8"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			if tc.ehlo {
				c.greet()
			} else if code, msg := c.read(); code != 220 {
				t.Fatalf("greeting: %d %q", code, msg)
			}
			for _, st := range tc.steps {
				c.expect(st.code, st.text, "%s", st.cmd)
			}
		})
	}

	// Long echoes: every reply line within 512 octets with its CRLF.
	c := dial(t, addr)
	c.read()
	name := strings.Repeat("h", 60) + "." + strings.Repeat("i", 60) + "." + strings.Repeat("j", 60) + "." + strings.Repeat("k", 60) + ".test"
	checkLine := func(what string, code int, msg string, wantCode int) {
		t.Helper()
		if code != wantCode {
			t.Fatalf("%s: got %d %q, want %d", what, code, msg, wantCode)
		}
		if n := len("250 ") + len(msg) + 2; n > 512 {
			t.Fatalf("%s: reply of %d octets, over 512: %.80q", what, n, msg)
		}
	}
	code, msg := c.cmd("EHLO %s", name)
	checkLine("EHLO", code, msg, 250)
	code, msg = c.cmd("EHLO %s", strings.Repeat("x", 300))
	if code != 501 || len(msg) > 400 || !strings.Contains(msg, "over the 255") {
		t.Fatalf("EHLO of 300 octets: got %d %q", code, msg)
	}
	code, msg = c.cmd("MAIL FROM:<%s@b.test>", long)
	checkLine("MAIL", code, msg, 250)
	if !strings.Contains(msg, "a...a") || !strings.HasSuffix(msg, "a@b.test> OK") {
		t.Errorf("MAIL: the echo %q has no cut mark, or not the domain", msg)
	}
	code, msg = c.cmd("RCPT TO:<%s@sink.test>", long)
	checkLine("RCPT", code, msg, 250)
	// Directives are not read in a local part over 256 octets, and the
	// reply says so, where they were ignored without a word.
	code, msg = c.cmd("RCPT TO:<rcpt550+%s@sink.test>", long)
	checkLine("RCPT with a directive", code, msg, 250)
	if !strings.Contains(msg, `"rcpt550+aaaaaaa...aaaaaa" is not a directive: the local part is 1508 octets, over the 256 in which the sink reads directives; taken as a plain name`) {
		t.Errorf("RCPT with a directive in a long local part: got %q, want a note that directives were not read", msg)
	}
}
