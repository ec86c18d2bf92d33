package main

import (
	"context"
	"strings"
	"testing"
)

// fl25Sink starts relaylab's sink in this process and returns its address.
func fl25Sink(t *testing.T) string {
	t.Helper()
	_, _, sk := startSinkStore(t)
	return sk.HostPorts()["mx"]
}

// TestFL25LoadRsetClosing: a 421 to the RSET after a refusal is counted
// and explained apart from the refusals, and the next message goes on a
// new connection: 6 refused, none failed. load said "3 refused, 3
// failed", with connection errors at MAIL and no word of the 421.
func TestFL25LoadRsetClosing(t *testing.T) {
	t.Parallel()
	sink := fl25Sink(t)
	code, out, errOut := runIn(t, context.Background(), "load", "--target", sink, "--messages", "6", "--sessions", "1", "--reuse", "0",
		"--to", "u{n}+rcpt550+rset421@sink.test", "--quiet")
	for _, want := range []string{"0 accepted, 6 refused, 0 failed", "rset 421 4.7.0:", "how sessions ended", "closed the session at the RSET that follows a refusal"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q\n%s", want, out)
		}
	}
	if code != exitPermFail || strings.Contains(out, "connection errors") {
		t.Errorf("exit %d (want %d), with no connection error\n%s%s", code, exitPermFail, out, errOut)
	}
}

// TestFL25SendRsetClosing: send writes no QUIT into a session that the
// server closed with a 421 to RSET, and says why it ended.
func TestFL25SendRsetClosing(t *testing.T) {
	t.Parallel()
	sink := fl25Sink(t)
	code, out, errOut := runIn(t, context.Background(), "send", "--server", sink, "--to", "u1+rcpt550+rset421@sink.test", "--hide-data")
	if code != exitPermFail || strings.Contains(out, "-> QUIT") || strings.Contains(out, "*** QUIT") ||
		!strings.Contains(errOut, "closed the session (RFC 5321 3.8), so no QUIT was sent") {
		t.Errorf("exit %d (want %d); want no QUIT after the 421 to RSET, and the 421 said\nstdout:\n%s\nstderr:\n%s", code, exitPermFail, out, errOut)
	}
}

// TestFL25AnyTwoXXAfterTheDotAccepts: load and send agree that a 299 after
// the final dot accepts the message (RFC 5321 4.2.1), with a note that
// RFC 5321 gives 250 there. load counted it refused and exited 0; send
// said "rejected" and exited 4.
func TestFL25AnyTwoXXAfterTheDotAccepts(t *testing.T) {
	t.Parallel()
	sink := fl25Sink(t)
	code, out, errOut := runIn(t, context.Background(), "load", "--target", sink, "--messages", "3", "--sessions", "1", "--to", "u{n}+dot299@sink.test", "--quiet")
	if code != 0 || !strings.Contains(out, "3 accepted, 0 refused") || !strings.Contains(out, "data-end 299: taken as an acceptance") {
		t.Errorf("load: exit %d; want 0, 3 accepted and a note on the 299\n%s%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, context.Background(), "send", "--server", sink, "--to", "u1+dot299@sink.test", "--hide-data")
	if code != 0 || !strings.Contains(out, "=== Message accepted for 1 recipient(s): 299") || !strings.Contains(out, "=== note: the final dot was answered 299: taken as an acceptance") {
		t.Errorf("send: exit %d; want 0, the message accepted and a note on the 299\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestFL25ClientWords: what send and load say of a 421 fits a client:
// none of the relay's words (a destination rested, throttling), in text
// and --json; and a 2xx to DATA gets the rule it broke, not that of a
// misplaced 3xx.
func TestFL25ClientWords(t *testing.T) {
	t.Parallel()
	sink := fl25Sink(t)
	relayWords := []string{"rested", "destination", "throttl"}
	for _, args := range [][]string{
		{"send", "--server", sink, "--to", "u1+data421@sink.test", "--hide-data"},
		{"load", "--target", sink, "--messages", "2", "--sessions", "1", "--to", "u{n}+data421@sink.test", "--quiet"},
		{"load", "--target", sink, "--messages", "2", "--sessions", "1", "--to", "u{n}+data421@sink.test", "--quiet", "--json"},
	} {
		code, out, errOut := runIn(t, context.Background(), args...)
		for _, w := range relayWords {
			if strings.Contains(out+errOut, w) {
				t.Errorf("%s: says %q, the relay's word, to a client (exit %d)\nstdout:\n%s\nstderr:\n%s", args[0], w, code, out, errOut)
			}
		}
		if !strings.Contains(out+errOut, "the server is closing the session (421") {
			t.Errorf("%s %s: the 421 is not said as the server closing the session\nstdout:\n%s\nstderr:\n%s", args[0], args[len(args)-1], out, errOut)
		}
	}
	code, out, errOut := runIn(t, context.Background(), "send", "--server", sink, "--to", "u1+data250@sink.test", "--hide-data")
	if code != 1 || strings.Contains(errOut, "a 3xx answers only") || !strings.Contains(errOut, "DATA is answered 354 to ask for the message") {
		t.Errorf("250 to DATA: exit %d (want 1), want the rule of DATA's reply, not the 3xx one\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
