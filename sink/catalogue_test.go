package sink

import (
	"os"
	"strings"
	"testing"
)

// TestCatalogueProviderCodes: each reply of the built-in profiles that
// the providers publish (Gmail's "SMTP errors and codes", Yahoo's SMTP
// error codes and help, Exchange Online's NDR codes) is reached by its
// trigger, with the provider's code and enhanced code. Yahoo's 550 5.7.9
// said "fails DMARC" where Yahoo sends it for a sender neither SPF nor
// DKIM authenticates; a DMARC failure is its 554 5.7.9.
func TestCatalogueProviderCodes(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	cases := []profileCase{
		{"unauthlimit@b.test", "x@gmail.test", 421, "4.7.26 https://support.example.test/mail/?p=Unauthenticated"},
		{"unauth@b.test", "x@gmail.test", 550, "5.7.26 reject it."},
		{"dmarctemp@b.test", "x@gmail.com", 451, "4.7.26 checking it."},
		{"DmarcFail@b.test", "x@gmail.com", 550, "5.7.26 if this mail was legitimate."},
		{"spfhardfail@b.test", "x@googlemail.com", 550, "5.7.26 to protect our users."},
		{"nospf@b.test", "x@gmail.test", 550, "5.7.27 https://"},
		{"noptr@b.test", "x@gmail.test", 550, "5.7.25 the sending IP."},
		{"a@b.test", "spam@gmail.test", 550, "5.7.1 https://"},
		{"unauth@b.test", "x@yahoo.test", 550, "5.7.9 This mail has been blocked because the sender is unauthenticated"},
		{"dmarcfail@b.test", "x@yahoo.com", 554, "5.7.9 Message not accepted for policy reasons"},
		{"a@b.test", "ts01@yahoo.test", 421, "4.7.0 [TS01] Messages from your IP are temporarily deferred due to user complaints"},
		{"a@b.test", "TS02-x@aol.com", 421, "4.7.0 [TS02]"},
		{"a@b.test", "ts03@ymail.com", 421, "4.7.1 [TS03] All messages from your IP will be permanently deferred"},
		{"a@b.test", "tss09@yahoo.test", 553, "5.7.2 [TSS09] All messages from your IP will be permanently deferred"},
		{"a@b.test", "ratelimit@outlook.test", 451, "4.7.650 The mail server [127.0.0.1] has been temporarily rate limited due to IP reputation"},
		{"a@b.test", "banned@hotmail.com", 550, "5.7.606 Access denied, banned sending IP [127.0.0.1]. To"},
		{"a@b.test", "denied@live.com", 550, "5.7.708 Service unavailable. Access denied, traffic not accepted from this IP"},
	}
	for _, tc := range cases {
		if _, not := parseLocalPart(tc.to); len(not) != 0 {
			t.Errorf("%s: the trigger reads as a near-miss of a directive: %+v", tc.to, not)
		}
	}
	checkProfileReplies(t, addr, cases)
}

// profileCase is a message from a sender to a recipient and the reply
// the sink's profiles give it: its code and a part of its text.
type profileCase struct {
	from, to string
	code     int
	text     string
}

// checkProfileReplies sends each case's message to the sink at addr, in
// a parallel subtest of its own, and checks the reply.
func checkProfileReplies(t *testing.T, addr string, cases []profileCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.from+">"+tc.to, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			c.greet()
			code, msg := c.send(tc.from, tc.to, testMsg)
			if code != tc.code || !strings.Contains(msg, tc.text) {
				t.Errorf("got %d %q, want %d with %q", code, msg, tc.code, tc.text)
			}
		})
	}
}

// TestRuleAddsToBuiltinProfile: DIRECTIVES.md's way to add one reply to a
// built-in profile, a rule on its domains, answers before the profile,
// which answers the rest as before.
func TestRuleAddsToBuiltinProfile(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("DIRECTIVES.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(doc), "### One more reply for a built-in profile")
	_, block, _ := strings.Cut(after, "```yaml\nsink:\n  rules:\n")
	block, _, _ = strings.Cut(block, "```")
	rs, err := ParseRules([]byte(block))
	if err != nil || len(rs) != 1 {
		t.Fatalf("the example in DIRECTIVES.md: %v %+v", err, rs)
	}
	s, _ := testSink(t, nil, func(c *Config) { c.Rules = rs })
	addr := addrOf(t, s, "mx")
	for _, tc := range []struct {
		to   string
		code int
		text string
	}{
		{"disabled@gmail.test", 550, "5.2.1 https://"},
		{"Disabled@GMAIL.com", 550, "5.2.1"},
		{"nosuchuser@gmail.test", 550, "5.1.1"},
		{"disabled@yahoo.test", 250, ""},
	} {
		c := dial(t, addr)
		c.greet()
		if code, msg := c.send("a@b.test", tc.to, testMsg); code != tc.code || !strings.Contains(msg, tc.text) {
			t.Errorf("%s: got %d %q, want %d with %q", tc.to, code, msg, tc.code, tc.text)
		}
	}
}
