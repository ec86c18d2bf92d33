package sink

import (
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// The size limit's replies name the listener's own key, with its place in
// sink.listeners (the second listener here), not "listeners[]": at MAIL's
// SIZE, after the data, and for a BDAT chunk over it.
func TestSizeRefusalNamesTheListener(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		second := DefaultListener("mx2", "127.0.0.1:0", "mx2.test")
		second.Limits.MaxMessageBytes = 100
		c.Listeners = append(c.Listeners, second)
	})
	script := "EHLO x.test\r\nMAIL FROM:<a@b.test> SIZE=1000\r\n" +
		"MAIL FROM:<a@b.test>\r\nRCPT TO:<u@sink.test>\r\nDATA\r\n" + strings.Repeat("x", 120) + "\r\n.\r\n" +
		"MAIL FROM:<a@b.test>\r\nRCPT TO:<u@sink.test>\r\nBDAT 99999999999 LAST\r\nQUIT\r\n"
	codes, lines := pipelined(t, addrOf(t, s, "mx2"), script)
	refused := 0
	for i, code := range codes {
		if code != 552 {
			continue
		}
		refused++
		if !strings.Contains(lines[i], "raise sink.listeners[1].limits.max_message_bytes") {
			t.Errorf("552 %q does not name the second listener's key", lines[i])
		}
	}
	if refused != 3 {
		t.Errorf("replies %v %q, want three 552s: to SIZE=1000, after the data, to the BDAT", codes, lines)
	}
}

// A client that stalls in the middle of a message gets a 421 that names
// the setting that cut it off, limits.idle_timeout, and its value, as
// the 421 to an idle command does. (The idle timeout is the network's
// read deadline, on the wall clock; the test asserts the text, not the
// time taken.)
func TestStallInMessageNamesIdleTimeout(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, func(c *Config) { c.Listeners[0].Limits.IdleTimeout = config.Duration(200 * time.Millisecond) })
	codes, lines := pipelined(t, addr, "EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@lab.test>\r\nDATA\r\nSubject: half\r\n")
	last := lines[len(lines)-1]
	if codes[len(codes)-1] != 421 || !strings.Contains(last, "(200ms, limits.idle_timeout; RFC 5321 4.5.3.2.6) in the middle of the message") {
		t.Errorf("the reply to a stall in DATA is %q, want a 421 naming limits.idle_timeout and its value", last)
	}
}
