package sink

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// Each attempt keeps the TLS, EHLO name and AUTH identity in force when it
// was made, not its session's at the end: a message sent in the clear
// before STARTTLS was not sent over TLS. Attempts written with a message
// (storeMessage) and at the session's end (writeSession) both keep them,
// and a row from before they were kept (NULL) reads as its session's.
func TestAttemptsKeepTheirOwnTLSHeloAuth(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"alice": "secret"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet() // EHLO client.test
	if code, msg := c.send("a@x.test", "clear@sink.test", testMsg); code != 250 {
		t.Fatalf("message in the clear: %d %q", code, msg)
	}
	// A transaction still open at STARTTLS ends in the clear.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<open-clear@sink.test>")
	c.startTLS()
	c.expect(250, "", "EHLO second.test")
	c.expect(235, "2.7.0", "AUTH PLAIN %s", plainIR("alice", "secret"))
	if code, msg := c.send("a@x.test", "tls@sink.test", testMsg); code != 250 {
		t.Fatalf("message under TLS: %d %q", code, msg)
	}
	// Recorded when the session ends (writeSession), not with a message.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<open-tls@sink.test>")
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)

	ss, err := SessionByID(context.Background(), st.DB(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ss.TLS, "TLS 1.") || ss.HELO != "second.test" || ss.AuthUser != "alice" {
		t.Fatalf("session: tls %q helo %q auth %q", ss.TLS, ss.HELO, ss.AuthUser)
	}
	// An attempt recorded before migration 0104: no values of its own.
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO sink_attempts (session_id, time_ns, sender, recipient, attempt, stage, code)
			VALUES (1, 1, 'a@x.test', 'old@sink.test', 1, 'rcpt', 250)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	atts, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		tls        bool
		helo, auth string
	}
	want := map[string]state{
		"clear@sink.test":      {false, "client.test", ""},
		"open-clear@sink.test": {false, "client.test", ""},
		"tls@sink.test":        {true, "second.test", "alice"},
		"open-tls@sink.test":   {true, "second.test", "alice"},
		"old@sink.test":        {true, "second.test", "alice"}, // the session's
	}
	if len(atts) != len(want) {
		t.Fatalf("got %d attempts, want %d: %+v", len(atts), len(want), atts)
	}
	for _, a := range atts {
		w, ok := want[a.Recipient]
		if !ok {
			t.Errorf("unexpected attempt %+v", a)
			continue
		}
		got := state{a.TLS != "", a.HELO, a.AuthUser}
		if got != w || (a.TLS != "" && a.TLS != ss.TLS) {
			t.Errorf("%s: tls %q helo %q auth %q; want tls %v helo %q auth %q", a.Recipient, a.TLS, a.HELO, a.AuthUser, w.tls, w.helo, w.auth)
		}
	}
}

// RFC 4954 4: AUTH during a mail transaction gets 503, so the identity of
// a transaction's attempts is the one its MAIL was given under.
func TestAuthRefusedInTransaction(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"alice": "secret"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(503, "5.5.1 Bad sequence of commands: AUTH is not permitted during a mail transaction", "AUTH PLAIN %s", plainIR("alice", "secret"))
	if code, msg := c.cmd("RCPT TO:<u@sink.test>"); code != 250 {
		t.Fatalf("the transaction should go on after the refused AUTH: %d %q", code, msg)
	}
	c.expect(250, "", "RSET")
	c.expect(235, "2.7.0", "AUTH PLAIN %s", plainIR("alice", "secret"))
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	atts, err := Attempts(context.Background(), st.DB(), "u@sink.test")
	if err != nil || len(atts) != 1 || atts[0].AuthUser != "" {
		t.Fatalf("attempt %+v (%v): want one, made without AUTH", atts, err)
	}
}
