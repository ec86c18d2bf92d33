package relay

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A message line over the listener's limit gets one reply, 500 5.4.0
// naming the limit, which the relay's own classification reads as
// line-too-long, and the connection closes; go-smtp's "554 5.0.0 Error:
// transaction failed: smtp: too long a line in input stream" was
// unclassified, and a second reply followed it unasked.
func TestSubmissionLineTooLong(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Listen = "127.0.0.1:0" // loopback may submit without AUTH (the default allowed_networks)
	h := newHarness(t, cfg, Options{})
	conn, err := net.Dial("tcp", h.r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second)) // a hang fails the test, it never passes it
	rd := bufio.NewReader(conn)
	readReply := func(what string) string {
		t.Helper()
		var last string
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the reply to %s: %v (got %q)", what, err, line)
			}
			last = strings.TrimRight(line, "\r\n")
			if len(last) < 4 || last[3] != '-' {
				return last
			}
		}
	}
	readReply("the connection")
	for _, cmd := range []string{"EHLO client.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<b@receiver.test>", "DATA"} {
		io.WriteString(conn, cmd+"\r\n")
		if r := readReply(cmd); r[0] != '2' && r[0] != '3' {
			t.Fatalf("%s: %s", cmd, r)
		}
	}
	io.WriteString(conn, "Subject: long\r\n\r\n"+strings.Repeat("x", 2500)+"\r\n.\r\n")
	got := readReply("the message")
	want := "500 5.4.0 Line too long in the message: the limit is 2000 octets per line (RFC 5321 4.5.3.1.6); closing the connection"
	if got != want {
		t.Errorf("reply to a 2,500-octet line = %q\nwant %q", got, want)
	}
	code, _ := strconv.Atoi(got[:3])
	v := h.r.Classifier().Classify(Reply{Code: code, Enhanced: "5.4.0", Text: got[10:], Stage: "dot"})
	if v.Category != "line-too-long" {
		t.Errorf("the reply classifies as %q, want line-too-long", v.Category)
	}
	if rest, err := io.ReadAll(rd); len(rest) != 0 || err != nil {
		t.Errorf("after the reply: %q, %v; want the connection closed with nothing more said", rest, err)
	}
}
