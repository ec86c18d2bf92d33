package relay

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestSubmissionConnectionLimit: past relay.max_connections, a
// connection is answered 421 4.7.0 naming the limit, as the sink answers,
// and closed; a place that frees up takes the next. The relay accepted
// every connection (3000 in a walk).
func TestSubmissionConnectionLimit(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.MaxConnections = 2
	h := newHarness(t, cfg, Options{})
	addr := h.r.Addr().String()
	greet := func() (net.Conn, string) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second)) // only so that a broken relay fails the test, never met
		line, _ := bufio.NewReader(c).ReadString('\n')
		return c, line
	}
	first, l1 := greet()
	_, l2 := greet()
	if !strings.HasPrefix(l1, "220 ") || !strings.HasPrefix(l2, "220 ") {
		t.Fatalf("greetings %q, %q; want 220", l1, l2)
	}
	third, l3 := greet()
	if want := "421 4.7.0 relaylab.localhost has too many connections (its limit is 2 at once, relay.max_connections), try again later\r\n"; l3 != want {
		t.Errorf("third connection: %q; want %q", l3, want)
	}
	if n, err := third.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("third connection still open after the 421 (read %d, %v)", n, err)
	}
	first.Write([]byte("QUIT\r\n"))
	first.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, l := greet()
		if strings.HasPrefix(l, "220 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place after a connection closed: %q", l)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
