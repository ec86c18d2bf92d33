package sink

import (
	"encoding/base64"
	"strings"
	"testing"
)

// An AUTH offered that no client could pass (mode optional or required,
// with neither users nor accept_any) is refused at its key, saying what to
// write; accept_any is refused where it means nothing.
func TestAuthThatNoOneCouldPass(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		auth string
		want []string // "" : taken
	}{
		{"{mode: optional}", []string{"sink.listeners[0].auth.users", "every AUTH would get 535", "accept_any: true", "users: {NAME: PASSWORD}"}},
		{"{mode: required}", []string{"sink.listeners[0].auth.users", "could never take mail", "accept_any: true"}},
		{"{mode: optional, accept_any: true}", nil},
		{"{mode: required, accept_any: true, require_tls: true}", nil},
		{"{mode: optional, users: {alice: secret}}", nil},
		{"{mode: off, accept_any: true}", []string{"sink.listeners[0].auth.accept_any", "auth.mode is off"}},
		{"{accept_any: true}", []string{"sink.listeners[0].auth.accept_any", "auth.mode is off"}},
		{"{mode: optional, accept_any: true, users: {alice: secret}}", []string{"sink.listeners[0].auth.accept_any", "never be checked"}},
	} {
		doc := "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n      hostname: mx.test\n      auth: " + tc.auth + "\n"
		_, err := decodeSink(t, doc)
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("auth: %s: %v, want it taken", tc.auth, err)
		case tc.want != nil && err == nil:
			t.Errorf("auth: %s taken, want an error naming %q", tc.auth, tc.want)
		case err != nil:
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("auth: %s: %v\nwant it to say %q", tc.auth, err, w)
				}
			}
		}
	}
}

// With accept_any, any user and password pass AUTH PLAIN and LOGIN, and
// the user is recorded as any other: in the transcript, the session and
// the attempts. An empty user name is still refused.
func TestAuthAcceptAny(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "required", AcceptAny: true}
	})
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	hsExpect(t, c, "EHLO app.test\r\nMAIL FROM:<a@app.test>\r\n", 250, 530)
	hsExpect(t, c, "AUTH PLAIN "+plainIR("", "x")+"\r\n", 535)
	hsExpect(t, c, "AUTH PLAIN "+plainIR("app-user", "whatever")+"\r\n", 235)
	hsExpect(t, c, "MAIL FROM:<a@app.test>\r\nRCPT TO:<b@sink.test>\r\nQUIT\r\n", 250, 250, 221)
	tr, _ := sessionOf(t, st, 1, 1)
	if !strings.Contains(tr, `* authenticated as "app-user" (auth.accept_any`) || !strings.Contains(tr, "authentication failed: the user name is empty") {
		t.Errorf("the transcript does not say who authenticated, or why the empty name failed:\n%s", tr)
	}
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_attempts WHERE auth_user = 'app-user'`); n != 1 {
		t.Errorf("%d attempts with auth_user app-user, want 1", n)
	}

	c = hsDial(t, addr)
	hsExpect(t, c, "", 220)
	hsExpect(t, c, "EHLO app.test\r\nAUTH LOGIN\r\n"+b64("other")+"\r\n"+b64("pw")+"\r\nQUIT\r\n", 250, 334, 334, 235, 221)
	waitSessions(t, st, 2)
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_sessions WHERE auth_user = 'other'`); n != 1 {
		t.Errorf("%d sessions with auth_user other, want 1", n)
	}
}
