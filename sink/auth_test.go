package sink

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

func plainIR(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

// RFC 3207 4.2: after STARTTLS the server discards what it knew of the
// client, an AUTH in the clear included (RFC 4954 4): with auth required,
// MAIL gets 530 again until the client authenticates under TLS, which it
// can. The record keeps the AUTH in force, and the one forgotten.
func TestStartTLSForgetsAuth(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "required", Users: map[string]string{"alice": "secret", "bob": "hunter2"}}
	})
	addr := addrOf(t, s, "mx")

	c := dial(t, addr)
	c.greet()
	c.expect(235, "2.7.0", "AUTH PLAIN %s", plainIR("alice", "secret"))
	c.expect(503, "5.5.1 Bad sequence of commands: already authenticated", "AUTH PLAIN %s", plainIR("bob", "hunter2"))
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.startTLS()
	c.expect(250, "", "EHLO client.test")
	c.expect(530, "5.7.0 Authentication required", "MAIL FROM:<a@x.test>")
	c.expect(334, "", "AUTH LOGIN")
	c.expect(334, "", "%s", base64.StdEncoding.EncodeToString([]byte("bob")))
	c.expect(235, "2.7.0", "%s", base64.StdEncoding.EncodeToString([]byte("hunter2")))
	if code, msg := c.send("a@x.test", "u@sink.test", testMsg); code != 250 {
		t.Fatalf("after AUTH under TLS: %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)

	// Authenticated in the clear only: nothing in force at the end.
	c = dial(t, addr)
	c.greet()
	c.expect(235, "", "AUTH PLAIN %s", plainIR("alice", "secret"))
	c.startTLS()
	c.expect(250, "", "EHLO client.test")
	c.expect(530, "5.7.0", "MAIL FROM:<a@x.test>")
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 2)

	for _, want := range []struct {
		id           int64
		user, before string
	}{{1, "bob", "alice"}, {2, "", "alice"}} {
		ss, err := SessionByID(context.Background(), st.DB(), want.id)
		if err != nil {
			t.Fatal(err)
		}
		if ss.AuthUser != want.user {
			t.Errorf("session %d: auth_user %q, want %q", want.id, ss.AuthUser, want.user)
		}
		if note := "* authentication as alice forgotten with STARTTLS"; !strings.Contains(ss.Transcript, note) {
			t.Errorf("session %d: the transcript lacks %q:\n%s", want.id, note, ss.Transcript)
		}
	}
	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkSession}})
	if err != nil || len(evs) != 2 {
		t.Fatalf("sink.session events: %v, %d", err, len(evs))
	}
	for i, e := range evs {
		var p sessionPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.AuthBeforeTLS != "alice" {
			t.Errorf("event %d: auth_before_tls %q, want alice: %s", i, p.AuthBeforeTLS, e.Payload)
		}
	}
}
