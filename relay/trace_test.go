package relay

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestSubmissionAddsReceived checks RFC 5321 4.4: the relay stamps what it
// takes with a Received field that names the client, itself and the queue
// id, which is how the id comes back in the headers a bounce returns.
func TestSubmissionAddsReceived(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Listen = "127.0.0.1:0"
	cfg.Hostname = "relay.example"
	h := newHarness(t, cfg, Options{})
	c := dialSubmission(t, h.r.Addr().String(), false)
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	body := "From: a@x.test\r\nSubject: trace\r\n\r\nHello.\r\n"
	if err := c.SendMail("a@x.test", []string{"b@y.test"}, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	h.runUntil("delivery", func() bool { return len(mta.received()) == 1 })
	got := mta.received()[0].data
	ids := h.events(events.Filter{Kinds: []string{events.RelayQueued}})
	if len(ids) != 1 {
		t.Fatalf("%d queued events, want 1", len(ids))
	}
	id := ids[0].Message
	want := "Received: from client.example ([127.0.0.1])\r\n\tby relay.example (relaylab) with ESMTP id " + id + "\r\n\tfor <b@y.test>;\r\n\t"
	if !bytes.HasPrefix(got, []byte(want)) {
		t.Fatalf("delivered message starts\n%q\nwant it to start\n%q", got[:min(len(got), 200)], want)
	}
	if !bytes.HasSuffix(got, []byte(body)) {
		t.Errorf("delivered message lost the original after the Received field:\n%q", got)
	}
	if rid := receivedID(got, "relay.example"); rid != id {
		t.Errorf("receivedID = %q, want %q", rid, id)
	}
}

// TestHopLimitRefusesLoops checks RFC 5321 6.3: a message with more
// Received fields than the limit is a loop and gets a 554 5.4.6, not
// another trip round it.
func TestHopLimitRefusesLoops(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Listen = "127.0.0.1:0"
	h := newHarness(t, cfg, Options{})
	send := func(n int) error {
		c := dialSubmission(t, h.r.Addr().String(), false)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString("Received: from a.test by b.test; Sat, 28 Nov 2026 07:00:00 +0000\r\n")
		}
		b.WriteString("Subject: loop\r\n\r\nbody Received: not a field\r\n")
		return c.SendMail("a@x.test", []string{"b@y.test"}, strings.NewReader(b.String()))
	}
	err := send(maxHops + 1)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 554 || se.EnhancedCode != (smtp.EnhancedCode{5, 4, 6}) || !strings.Contains(se.Message, "loop") {
		t.Fatalf("%d Received fields: %v, want 554 5.4.6 naming a loop", maxHops+1, err)
	}
	if err := send(maxHops); err != nil {
		t.Fatalf("%d Received fields: %v, want it taken", maxHops, err)
	}
}

func TestHops(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"Received: a\r\nreceived: b\r\n\tfolded\r\nSubject: x\r\n\r\nReceived: body\r\n", 2},
		{"Received: a\nRECEIVED:b\n\nReceived: c\n", 2},
		{"Subject: none\r\n\r\n", 0},
		{"", 0},
		{"X-Received: a\r\nReceivedX: b\r\n", 0},
	} {
		if got := hops([]byte(tt.in)); got != tt.want {
			t.Errorf("hops(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
