package sink

import (
	"context"
	"encoding/json"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// dialFrom is dial from a loopback address of its own (Linux routes all
// of 127.0.0.0/8 to lo).
func dialFrom(t *testing.T, local, addr string) *client {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialling from %s: %v", local, err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, nc: nc, tp: textproto.NewConn(nc)}
}

// One connection more from a client than limits.max_connections_per_client
// gets 421 at connect and is closed, and recorded as a session; other
// clients, other listeners and the client's later connections are not
// refused for it.
func TestMaxConnectionsPerClient(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Limits.MaxConnectionsPerClient = 2
		l2 := DefaultListener("mx2", "127.0.0.1:0", "mx2.sink.test")
		l2.Limits.MaxConnectionsPerClient = 2
		c.Listeners = append(c.Listeners, l2)
	})
	addr := addrOf(t, s, "mx")
	a, b := dial(t, addr), dial(t, addr)
	a.greet()
	b.greet()
	third := dial(t, addr)
	code, msg := third.read()
	if code != 421 || msg != "4.7.0 sink.relaylab.test has too many connections from your address (limits.max_connections_per_client 2), try again later" {
		t.Fatalf("third connection from one client: got %d %q, want 421 4.7.0 naming the limit", code, msg)
	}
	if code, _ := third.read(); code != 0 {
		t.Fatalf("after the 421: got %d, want the connection closed", code)
	}
	dialFrom(t, "127.0.0.2", addr).greet()
	dialFrom(t, "127.0.0.1", addrOf(t, s, "mx2")).greet()
	// One of the two goes: a new one is let in. The sink counts a
	// connection out before it closes, so after the close the count has
	// gone down.
	a.expect(221, "", "QUIT")
	if code, _ := a.read(); code != 0 {
		t.Fatalf("after QUIT: got %d, want the connection closed", code)
	}
	dial(t, addr).greet()
	waitSessions(t, st, 2)

	ss, err := SessionByID(context.Background(), st.DB(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ss.Transcript, "* reply by limits.max_connections_per_client\n") || !strings.Contains(ss.Transcript, "S 421 4.7.0 ") {
		t.Errorf("the refused session's transcript:\n%s", ss.Transcript)
	}
	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkReply}})
	if err != nil {
		t.Fatal(err)
	}
	var refusals int
	for _, e := range evs {
		var p struct {
			Code int    `json:"code"`
			By   string `json:"by"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.Code == 421 && p.By == "limits.max_connections_per_client" {
			refusals++
		}
	}
	if refusals != 1 {
		t.Errorf("%d sink.reply events of the refusal, want 1", refusals)
	}
}

func TestMaxConnectionsPerClientConfig(t *testing.T) {
	t.Parallel()
	l := "sink:\n  listeners:\n    - name: mx2\n      listen: 127.0.0.1:0\n"
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"negative", l + "      limits: {max_connections_per_client: -1}\n",
			[]string{"sink.yaml:5:", "sink.listeners[0].limits.max_connections_per_client: -1: must not be negative (0 means no limit)"}},
		{"above max_connections", l + "      limits:\n        max_connections: 10\n        max_connections_per_client: 11\n",
			[]string{"sink.yaml:7:", "sink.listeners[0].limits.max_connections_per_client: 11 is above limits.max_connections (10)", "never apply"}},
		{"typo", l + "      limits: {max_connection_per_client: 3}\n",
			[]string{"max_connection_per_client", "max_connections_per_client"}},
	} {
		_, err := decodeSink(t, tc.doc)
		wantInOrder(t, tc.name, err, tc.want...)
	}
	cfg, err := decodeSink(t, l+"      limits: {max_connections: 0, max_connections_per_client: 5000}\n")
	if err != nil || cfg.Listeners[0].Limits.MaxConnectionsPerClient != 5000 {
		t.Errorf("no listener limit: %v, %+v", err, cfg.Listeners[0].Limits)
	}
	if d := DefaultListener("mx", "", "").Limits.MaxConnectionsPerClient; d != 0 {
		t.Errorf("default %d, want 0 (none)", d)
	}
}
