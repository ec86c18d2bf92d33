package relay

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/dsn"
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

// TestEnqueueAddsReceivedAndItsBounceIsMatched: a message given to Enqueue
// (the Go API, and the web API, which marks its client "http") carries the
// same Received field as an SMTP submission, saying how it came, so a
// bounce from an upstream that kept neither VERP nor ENVID, returning only
// the headers, still finds its message.
func TestEnqueueAddsReceivedAndItsBounceIsMatched(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		client, from string
	}{
		{"http", "from local (HTTP API)"},
		{"", "from local (Go API)"},
		{"demo(1);x", "from local (Go API, client demo1x)"},
	} {
		t.Run(tt.from, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, nil)
			cfg := submitConfig(mta.addr)
			cfg.Hostname = "relay.example"
			// A bounce matched by the Received field alone is taken
			// from a client that may submit (the sender's own MX).
			cfg.AllowedNetworks = []string{"127.0.0.0/8"}
			h := newHarness(t, cfg, Options{})
			body := "From: a@s.test\r\nSubject: api\r\n\r\nHello.\r\n"
			id, err := h.r.Enqueue(context.Background(), Submission{From: "a@s.test", Client: tt.client, Data: []byte(body),
				Recipients: []Recipient{{Address: "b@r.test"}}})
			if err != nil {
				t.Fatal(err)
			}
			h.runUntil("delivery", h.done(id, 1))
			got := mta.received()[0].data
			want := "Received: " + tt.from + "\r\n\tby relay.example (relaylab) id " + id + "\r\n\tfor <b@r.test>;\r\n\t"
			if !bytes.HasPrefix(got, []byte(want)) || !bytes.HasSuffix(got, []byte(body)) {
				t.Fatalf("delivered message\n%q\nwant it to start\n%q\nand end with the message as given", got, want)
			}
			raw, err := dsn.Build(dsn.BuildOptions{To: "a@s.test", MessageID: "<b3@mta.test>", Date: epoch, Original: got}, dsn.Report{
				ReportingMTA: "mta.test",
				Recipients: []dsn.Recipient{{FinalRecipient: "b@r.test", Action: dsn.ActionFailed,
					Status: "5.1.1", DiagnosticCode: "550 5.1.1 no such user"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if code, msg := bounceReply(t, h.r.Addr().String(), []string{"bounces@relay.example"}, string(raw)); code != 250 {
				t.Fatalf("bounce without VERP or ENVID: %d %s, want 250 (matched by the Received field)", code, msg)
			}
			if got := h.terminal(id); !reflect.DeepEqual(got["b@r.test"], []string{events.RelayDelivered, events.RelayBounced}) {
				t.Errorf("terminal events %v, want b@r.test delivered then bounced", got)
			}
		})
	}
}

// TestSubmissionAddsMessageID: a message submitted without a Message-ID
// gets one, <queue id@hostname>, as RFC 6409 8.3 asks of a submission
// server, through the submission port and through Enqueue alike; one
// that has it keeps its own. Without it the web UI could not find the
// sink's copy of a relayed message (copies are matched by Message-ID),
// and said the sink held nothing of it.
func TestSubmissionAddsMessageID(t *testing.T) {
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
	for _, body := range []string{"From: a@x.test\r\nSubject: none\r\n\r\nHello.\r\n", "From: a@x.test\r\nmessage-id: <own@x.test>\r\nSubject: own\r\n\r\nHello.\r\n"} {
		if err := c.SendMail("a@x.test", []string{"b@y.test"}, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.r.Enqueue(context.Background(), Submission{From: "a@x.test", Recipients: []Recipient{{Address: "b@y.test"}}, Data: []byte("From: a@x.test\r\nSubject: api\r\n\r\nHi.\r\n")}); err != nil {
		t.Fatal(err)
	}
	h.runUntil("delivery", func() bool { return len(mta.received()) == 3 })
	queued := h.events(events.Filter{Kinds: []string{events.RelayQueued}})
	ids := map[string]string{} // subject: queue id
	for _, m := range mta.received() {
		subject := string(subjectOf(m.data))
		n := bytes.Count(bytes.ToLower(m.data), []byte("\nmessage-id:"))
		if n != 1 {
			t.Errorf("%s: %d Message-ID fields, want 1:\n%q", subject, n, m.data)
		}
		for _, q := range queued {
			if bytes.Contains(m.data, []byte("id "+q.Message+"\r\n")) {
				ids[subject] = q.Message
			}
		}
		switch subject {
		case "own":
			if !bytes.Contains(m.data, []byte("message-id: <own@x.test>\r\n")) {
				t.Errorf("own: its Message-ID was replaced:\n%q", m.data)
			}
		default:
			if want := "\r\nMessage-ID: <" + ids[subject] + "@relay.example>\r\n"; ids[subject] == "" || !bytes.Contains(m.data, []byte(want)) {
				t.Errorf("%s: no %q:\n%q", subject, want, m.data)
			}
		}
	}
}
