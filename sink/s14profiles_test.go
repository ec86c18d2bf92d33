package sink

import (
	"strings"
	"testing"
)

// TestS14ProfileCase: the built-in profiles' local-part and sender
// triggers match in any case, as DIRECTIVES.md says of the address's
// words ("Case does not matter").
func TestS14ProfileCase(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	checkProfileReplies(t, addr, []profileCase{
		{"a@x.test", "NoSuchUser3@gmail.com", 550, "5.1.1"},
		{"a@x.test", "RateLimit@gmail.test", 421, "4.7.28"},
		{"a@x.test", "Full-box@gmail.test", 452, "4.2.2"},
		{"Unauth@x.test", "alice@gmail.com", 550, "5.7.26"},
		{"a@x.test", "SPAM1@gmail.com", 550, "5.7.1"},
		{"a@x.test", "NOSUCHUSER@yahoo.com", 554, "delivery error: dd"},
		{"TempFail@b.test", "x@yahoo.test", 421, "[TSS04]"},
		{"a@x.test", "Busy@yahoo.com", 421, "[TSS04]"},
		{"a@x.test", "BLOCKED@hotmail.com", 550, "S3150"},
		{"Blocked@b.test", "x@outlook.test", 550, "S3140"},
		{"a@x.test", "NoSuchUser@outlook.com", 550, "5.5.0"},
		{"a@x.test", "Throttle@live.com", 451, "4.7.500"},
	})
}

// TestS14ProfileReplies: the profiles' replies as big receivers write
// them. Gmail's refusals are several lines, each with the code and the
// enhanced code; Yahoo's missing account is 554 "delivery error: dd"
// after the dot, with no enhanced code (5.7.9 is RFC 4954's "mechanism
// too weak"); Outlook.com's S3140 is about the sending IP's network, not
// the sender's address.
func TestS14ProfileReplies(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	raw := func(c *client) []string {
		t.Helper()
		var lines []string
		for {
			ln, err := c.tp.ReadLine()
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, ln)
			if len(ln) < 4 || ln[3] != '-' {
				return lines
			}
		}
	}

	c := dial(t, addr)
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.tp.PrintfLine("RCPT TO:<nosuchuser@gmail.com>")
	lines := raw(c)
	if len(lines) < 2 {
		t.Fatalf("Gmail's no such user in one line: %q", lines)
	}
	for i, ln := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		if !strings.HasPrefix(ln, "550"+sep+"5.1.1 ") {
			t.Errorf("line %d %q: want 550%s5.1.1 first", i+1, ln, sep)
		}
	}

	c = dial(t, addr)
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<nosuchuser@yahoo.test>") // Yahoo refuses after the message
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 554 || msg != "delivery error: dd There is no account by this name here" {
		t.Errorf("Yahoo's no account: got %d %q", code, msg)
	}

	c = dial(t, addr)
	c.greet()
	c.expect(250, "", "MAIL FROM:<blocked@b.test>")
	if code, msg := c.cmd("RCPT TO:<x@outlook.test>"); code != 550 || !strings.Contains(msg, "your IP") || strings.Contains(msg, "address is on") {
		t.Errorf("Outlook's S3140: got %d %q, want a block of the sending IP's network", code, msg)
	}
}
