package relay

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// strictServer is a server on 127.0.0.1 that keeps SMTP's state as a
// strict one does: MAIL inside a transaction gets "503 5.5.1 nested MAIL",
// RSET and the reply after the final dot end the transaction. replies
// gives, by verb, the replies to its 1st, 2nd... use (counted over all
// connections; "" or missing: the usual one); ehlo is the EHLO reply's extension
// lines. After a reply of 421 it closes, as RFC 5321 3.8 says: it stops
// writing and reads until the client closes. With closeAfterRSET it
// closes the same way after answering RSET 250, as a server that ends an
// idle session.
type strictServer struct {
	hold           chan struct{} // the first greeting waits for its close
	first          chan struct{} // closed when the first connection arrives
	ehlo           []string
	replies        map[string][]string
	closeAfterRSET bool
}

func (s strictServer) start(t *testing.T) string {
	t.Helper()
	var mu sync.Mutex
	used := map[string]int{} // uses of each verb on all connections
	conns := 0
	return serveLoopback(t, func(c net.Conn) {
		mu.Lock()
		conns++
		first := conns == 1
		mu.Unlock()
		if first && s.first != nil {
			close(s.first)
		}
		if first && s.hold != nil {
			<-s.hold
		}
		r := bufio.NewReader(c)
		say := func(l string) { c.Write([]byte(l + "\r\n")) }
		closing := func() {
			c.(*net.TCPConn).CloseWrite()
			for {
				if _, err := r.ReadString('\n'); err != nil {
					return
				}
			}
		}
		say("220 strict.test ESMTP")
		inTx := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			verb := strings.ToUpper(strings.Fields(line + " x")[0])
			mu.Lock()
			n := used[verb]
			used[verb]++
			mu.Unlock()
			rep := ""
			if l := s.replies[verb]; n < len(l) {
				rep = l[n]
			}
			switch {
			case rep != "":
			case verb == "EHLO":
				say("250-strict.test")
				for _, e := range s.ehlo {
					say("250-" + e)
				}
				rep = "250 8BITMIME"
			case verb == "MAIL" && inTx:
				rep = "503 5.5.1 nested MAIL command"
			case verb == "QUIT":
				say("221 2.0.0 bye")
				return
			case verb == "DATA":
				rep = "354 go on"
			default:
				rep = "250 2.0.0 ok"
			}
			say(rep)
			switch {
			case strings.HasPrefix(rep, "421"):
				closing()
				return
			case verb == "MAIL" && rep[0] == '2':
				inTx = true
			case verb == "RSET":
				inTx = false
				if s.closeAfterRSET {
					closing()
					return
				}
			case strings.HasPrefix(rep, "354"):
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
				}
				inTx = false
				say("250 2.0.0 queued")
			}
		}
	})
}

// Test421EndsTransaction: a 421 to MAIL or to one RCPT ends the
// transaction there (RFC 5321 3.8: the server closes), with pipelining or
// without: every recipient without a failure of its own gets the 421,
// which rests the destination, instead of the recipients after it
// getting a lost connection (and, without pipelining, RCPTs sent to a
// closing server), and no RSET follows.
func Test421EndsTransaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ehlo    []string
		replies map[string][]string
	}{
		{"pipelined MAIL", []string{"PIPELINING"}, map[string][]string{"MAIL": {"421 4.3.2 going down"}}},
		{"pipelined second RCPT", []string{"PIPELINING"}, map[string][]string{"RCPT": {"", "421 4.3.2 going down"}}},
		{"second RCPT", nil, map[string][]string{"RCPT": {"", "421 4.3.2 going down"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := strictServer{ehlo: tt.ehlo, replies: tt.replies}.start(t)
			h := newHarness(t, testConfig(addr), Options{})
			id := h.enqueue("a@s.test", "one@r.test", "two@r.test", "three@r.test")
			h.runUntil("deferrals", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) == 3
			})
			var ts string
			for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}) {
				p := payload(t, e)
				if rep := p["reply"].(map[string]any); rep["code"] != float64(421) {
					t.Errorf("%s: reply %v, want the 421", e.Recipient, rep)
				}
				ts, _ = p["transcript"].(string)
			}
			if strings.Contains(ts, "C: RSET") || strings.Contains(ts, "C: RCPT TO:<three@r.test>") && !strings.Contains(tt.name, "pipelined") {
				t.Errorf("commands sent after the 421:\n%s", ts)
			}
			if !strings.Contains(ts, "-- the server is closing the connection (421)") {
				t.Errorf("the transcript does not say the 421 ended the transaction:\n%s", ts)
			}
		})
	}
}

// TestDataRefusedThenRSET: after a refused DATA the relay says RSET
// before the next message on the same connection, so a strict server
// does not answer its MAIL with 503 (which bounced that message).
func TestDataRefusedThenRSET(t *testing.T) {
	t.Parallel()
	addr := strictServer{replies: map[string][]string{"DATA": {"451 4.3.0 not now"}}}.start(t)
	cfg := testConfig(addr)
	cfg.Paths[0].MaxConnections = 1
	h := newHarness(t, cfg, Options{})
	ids := []string{h.enqueue("a@s.test", "one@r.test"), h.enqueue("a@s.test", "two@r.test")}
	h.runUntil("both done", h.allDone(ids))
	for _, id := range ids {
		for rcpt, kinds := range h.terminal(id) {
			if len(kinds) != 1 || kinds[0] != events.RelayDelivered {
				t.Errorf("%s: %v, want delivered", rcpt, kinds)
			}
		}
	}
	for _, e := range h.events(events.Filter{Kinds: []string{events.RelayAttempt}}) {
		if rep := payload(t, e)["reply"].(map[string]any); rep["code"] == float64(503) {
			t.Errorf("%s: %v: a MAIL inside the refused transaction", e.Recipient, rep)
		}
	}
}

// TestKeptConnectionWithoutMessages: a connection kept after a
// transaction that sent no message (its one recipient refused) is a kept
// connection like any: when the server has closed it meanwhile, the next
// message goes over a new one in the same attempt instead of being
// deferred for the lost connection; and one whose RSET was refused is not
// kept at all.
func TestKeptConnectionWithoutMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		srv  strictServer
		kept bool // the next message meets the kept connection
	}{
		{"closed after RSET", strictServer{replies: map[string][]string{"RCPT": {"550 5.1.1 no such user"}}, closeAfterRSET: true}, true},
		{"RSET refused", strictServer{replies: map[string][]string{"RCPT": {"550 5.1.1 no such user"}, "RSET": {"421 4.3.2 going down"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The refused message holds the one connection while the next
			// one is claimed and waits for it: the relay is not idle in
			// between, which would close the kept connection.
			tt.srv.hold, tt.srv.first = make(chan struct{}), make(chan struct{})
			cfg := testConfig(tt.srv.start(t))
			cfg.Paths[0].MaxConnections = 1
			h := newHarness(t, cfg, Options{})
			gone := h.enqueue("", "gone@r.test") // no DSN to take the kept connection
			h.waitState(gone, StateInflight)
			// Its job holds the one connection before the next message
			// is queued, so that one cannot take it first.
			<-tt.srv.first
			id := h.enqueue("a@s.test", "b@r.test")
			h.waitState(id, StateInflight)
			close(tt.srv.hold)
			h.runUntil("an outcome", func() bool {
				return len(h.terminal(id)) == 1 || len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0
			})
			if got := h.terminal(id)["b@r.test"]; len(got) != 1 || got[0] != events.RelayDelivered {
				for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}) {
					t.Logf("attempt: %s", payload(t, e)["transcript"])
				}
				t.Fatalf("terminal events %v, want delivered in the first attempt", got)
			}
			att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
			ts, _ := payload(t, att[0])["transcript"].(string)
			met := strings.Contains(ts, "-- a kept connection, used for 1 transaction before this one, which sent no message") &&
				strings.Contains(ts, "-- the kept connection is gone; trying again on a new one")
			if met != tt.kept || strings.Contains(ts, "kept") != tt.kept {
				t.Errorf("transcript, want a kept connection met: %v:\n%s", tt.kept, ts)
			}
		})
	}
}

// TestQuitAfter421InTranscript: the QUIT after a 421 is in the attempt's
// transcript, and a server that then neither answers nor closes is left
// after the QUIT wait, which the transcript says.
func TestQuitAfter421InTranscript(t *testing.T) {
	t.Parallel()
	addr := hangAfter(t, "220 busy.test ESMTP", map[string]string{"RCPT": "421 4.3.2 shutting down"}, "421")
	cfg := testConfig(addr)
	cfg.Paths[0].CommandTimeout = dur(300 * time.Millisecond)
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("deferral", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) == 1
	})
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if len(att) != 1 {
		t.Fatalf("%d attempts, want 1", len(att))
	}
	p := payload(t, att[0])
	if rep := p["reply"].(map[string]any); rep["code"] != float64(421) {
		t.Errorf("reply %v, want the 421", rep)
	}
	ts, _ := p["transcript"].(string)
	for _, want := range []string{"S: 421 4.3.2 shutting down", "C: QUIT", "-- no reply to QUIT within 300ms; the connection is closed by us"} {
		if !strings.Contains(ts, want) {
			t.Errorf("transcript lacks %q:\n%s", want, ts)
		}
	}
}

// waitState waits (in real time) until the recipients of message id are
// all in state.
func (h *harness) waitState(id, state string) {
	h.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
		m, err := h.r.Message(context.Background(), id)
		if err != nil {
			h.t.Fatal(err)
		}
		n := 0
		for _, rc := range m.Recipients {
			if rc.State == state {
				n++
			}
		}
		if n == len(m.Recipients) && n > 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("message %s never reached state %s: %+v", id, state, m.Recipients)
		}
	}
}
