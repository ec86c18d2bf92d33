package main

import (
	"context"
	"strings"
	"testing"
)

// TestQuotedLocalPartWithSpace: a quoted local part may hold spaces and
// brackets (RFC 5321 4.1.2: qtextSMTP is %d32-33 / %d35-91 / %d93-126,
// quoted-pairSMTP a backslash and %d32-126), so send and load take
// "a b"@x.test, which the README uses; a space or a bracket outside the
// quotes, a line break or a tab anywhere, and a list are still refused.
// checkAddresses refused every space before it looked at the quotes.
func TestQuotedLocalPartWithSpace(t *testing.T) {
	t.Parallel()
	for _, a := range []string{`"a b"@x.test`, `"a b+rcpt550"@x.test`, `"<a>"@x.test`, `"a\"b c"@x.test`, `"a, b"@x.test`, `"a@b c"@x.test`, `" "@x.test`} {
		if err := checkMailboxes("to", a); err != nil {
			t.Errorf("--to %s: %v; want it taken (a quoted string)", a, err)
		}
		if err := checkLoadPattern("to", strings.Replace(a, "a", "a{n}", 1), "{n}", "{r}"); err != nil {
			t.Errorf("load --to %s: %v; want it taken", a, err)
		}
	}
	for _, tc := range []struct{ addr, want string }{
		{`a b@x.test`, `a local part with a space must be in double quotes (RFC 5321 4.1.2): give --to '"a b"@x.test'`},
		{`"a b"@x .test`, "without brackets or spaces, nor a line break or tab"},
		{`"a b"@x.test, c@x.test`, "not one address but a list"},
		{`<"a b"@x.test>`, "without brackets or spaces, nor a line break or tab"},
		{"\"a\tb\"@x.test", "without brackets or spaces, nor a line break or tab"},
		{"\"a\r\nb\"@x.test", "without brackets or spaces, nor a line break or tab"},
		{`"a b@x.test`, "double quotes"}, // never closed
		{`"a b"c@x.test`, `the local part "\"a b\"c" is not valid`},
	} {
		err := checkMailboxes("to", tc.addr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--to %q: %v; want %q", tc.addr, err, tc.want)
		}
	}
}

// TestSendQuotedLocalPart: the README's `"a b+rcpt550"@x` goes to the
// sink as written in RCPT TO, and is refused there by its directive; an
// accepted one is written so in the To field too.
func TestSendQuotedLocalPart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, addr := runningSink(t)
	code, out, errOut := runIn(t, ctx, "send", "--server", addr, "--helo", "client.test", "--to", `"a b+rcpt550"@x.test`, "--quit-after", "rcpt")
	if code != 5 || !strings.Contains(out, ` -> RCPT TO:<"a b+rcpt550"@x.test>`+"\n<-  550 5.1.1") {
		t.Errorf("send --to '\"a b+rcpt550\"@x.test': exit %d, want 5 and the RCPT refused by its directive\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "send", "--server", addr, "--helo", "client.test", "--to", `"a b"@x.test`, "--from", `"c d"@y.test`)
	for _, want := range []string{` -> MAIL FROM:<"c d"@y.test>`, ` -> RCPT TO:<"a b"@x.test>`, `<-  250 2.1.5 Recipient <"a b"@x.test> OK`, ` -> To: <"a b"@x.test>`, ` -> From: <"c d"@y.test>`} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("send --to '\"a b\"@x.test': exit %d (want 0), lacks %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
		}
	}
	code, out, errOut = runIn(t, ctx, "load", "--target", addr, "--messages", "2", "--sessions", "1", "--quiet", "--to", `"a b{n}"@x.test`)
	if code != 0 || !strings.Contains(out, "2 accepted") {
		t.Errorf("load --to '\"a b{n}\"@x.test': exit %d, want 0 and 2 accepted\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
