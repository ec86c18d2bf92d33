package relay

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestSubmissionBDATLineTooLong: a BDAT message with a line over the
// listener's limit is refused as DATA's is (500 5.4.0, line-too-long),
// where it was queued and then bounced by the next hop; the chunk was
// read, so the session goes on.
func TestSubmissionBDATLineTooLong(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Listen = "127.0.0.1:0"
	h := newHarness(t, cfg, Options{})
	conn, err := net.Dial("tcp", h.r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	rd := bufio.NewReader(conn)
	reply := func(what string) string {
		t.Helper()
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the reply to %s: %v", what, err)
			}
			if line = strings.TrimRight(line, "\r\n"); len(line) < 4 || line[3] != '-' {
				return line
			}
		}
	}
	reply("the greeting")
	for _, cmd := range []string{"EHLO client.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<b@receiver.test>"} {
		io.WriteString(conn, cmd+"\r\n")
		if r := reply(cmd); r[0] != '2' {
			t.Fatalf("%s: %s", cmd, r)
		}
	}
	msg := "Subject: long\r\n\r\n" + strings.Repeat("q", 3000) + "\r\n"
	fmt.Fprintf(conn, "BDAT %d LAST\r\n%s", len(msg), msg)
	got := reply("BDAT")
	if !strings.HasPrefix(got, "500 5.4.0 Line too long in the message: line 3 is 3002 octets, over the limit of 2000 per line") {
		t.Errorf("BDAT with a 3,000-octet line: %q, want 500 5.4.0 naming the line and the limit", got)
	}
	io.WriteString(conn, "NOOP\r\n")
	if r := reply("NOOP"); !strings.HasPrefix(r, "250") {
		t.Errorf("NOOP after the refused BDAT: %q, want the session to go on", r)
	}
	if q := h.events(events.Filter{Kinds: []string{events.RelayQueued}}); len(q) != 0 {
		t.Errorf("%d message(s) queued, want none", len(q))
	}
}
