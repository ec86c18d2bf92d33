package sink

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
)

// go-smtp's stock replies come out in the sink's words, with the code
// RFC 5321 (and RFC 3030, 4954, 6531) gives them.
func TestStockRepliesConform(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"alice": "secret"}}
		c.Listeners[0].Limits.MaxMessageBytes = 100
	})
	addr := addrOf(t, s, "mx")
	cases := []struct {
		name  string
		ehlo  bool
		steps []step
	}{
		{"EHLO without a name", false, []step{{"EHLO", 501, "5.5.2 Syntax error: EHLO and HELO need the client's domain or address literal"}}},
		{"RCPT without the closing bracket", true, []step{{"MAIL FROM:<a@b.test>", 250, ""}, {"RCPT TO:<a@b.test", 501, "5.5.2 Syntax error: RCPT needs TO: and one recipient's address in angle brackets"}}},
		{"RCPT of the null path", true, []step{{"MAIL FROM:<a@b.test>", 250, ""}, {"RCPT TO:<>", 501, "<> is only MAIL's null sender (RFC 5321 4.1.1.3)"}}},
		{"MAIL without FROM:", true, []step{{"MAIL <a@b.test>", 501, "5.5.2 Syntax error: MAIL needs FROM:"}}},
		{"RSET", true, []step{{"MAIL FROM:<a@b.test>", 250, ""}, {"RSET", 250, "2.0.0 OK: the mail transaction is reset (RFC 5321 4.1.1.5)"}, {"RCPT TO:<u@sink.test>", 503, ""}}},
		{"ok directive at RCPT", true, []step{{"MAIL FROM:<a@b.test>", 250, ""}, {"RCPT TO:<ok+u@sink.test>", 250, "2.1.5 Accepted on request"}, {"RCPT TO:<rcpt250+v@sink.test>", 250, "2.1.5"}}},
		{"BODY=BINARYMIME", true, []step{{"MAIL FROM:<a@b.test> BODY=BINARYMIME", 555, "5.5.4 MAIL FROM parameter BODY=BINARYMIME not supported: this listener does not offer BINARYMIME"}, {"MAIL FROM:<a@b.test> BODY=8BITMIME", 250, ""}}},
		{"SMTPUTF8 with a value", true, []step{{"MAIL FROM:<a@b.test> SMTPUTF8=yes", 501, "5.5.4 Syntax error: the SMTPUTF8 parameter of MAIL FROM takes no value"}, {"MAIL FROM:<a@b.test> SMTPUTF8", 250, ""}}},
		{"AUTH parameter that is no mailbox", true, []step{{"MAIL FROM:<a@b.test> AUTH=bad", 501, "5.5.4 Syntax error in the AUTH parameter of MAIL FROM"}, {"MAIL FROM:<a@b.test> AUTH=<>", 250, ""}}},
		{"AUTH with a word after the response", true, []step{{"AUTH PLAIN " + plainIR("alice", "secret") + " extra", 501, "5.5.2 Syntax error: AUTH takes a mechanism and at most one initial response"}, {"AUTH PLAIN " + plainIR("alice", "secret"), 235, ""}}},
		{"AUTH cancelled", true, []step{{"AUTH LOGIN", 334, ""}, {"*", 501, "5.7.0 Authentication cancelled: the client answered *"}}},
		{"DATA over the size limit", true, []step{{"MAIL FROM:<a@b.test>", 250, ""}, {"RCPT TO:<u@sink.test>", 250, ""}, {"DATA", 354, ""},
			{strings.Repeat("x", 120) + "\r\n.", 552, "5.3.4 Message size exceeds the limit of 100 octets (RFC 1870)"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			if tc.ehlo {
				c.greet()
			} else if code, msg := c.read(); code != 220 {
				t.Fatalf("greeting: %d %q", code, msg)
			}
			for _, st := range tc.steps {
				c.expect(st.code, st.text, "%s", st.cmd)
			}
		})
	}

	t.Run("BDAT over the size limit", func(t *testing.T) {
		t.Parallel()
		c := dial(t, addr)
		c.greet()
		c.expect(250, "", "MAIL FROM:<a@b.test>")
		c.expect(250, "", "RCPT TO:<u@sink.test>")
		c.nc.Write([]byte("BDAT 120 LAST\r\n" + strings.Repeat("x", 120)))
		if code, msg := c.read(); code != 552 || !strings.Contains(msg, "5.3.4 Message size exceeds the limit of 100 octets") {
			t.Fatalf("BDAT over the limit: got %d %q", code, msg)
		}
	})
}

// The idle timeout outside a message says which limit ran out, as the one
// in a message does.
func TestIdleTimeoutWorded(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) { c.Listeners[0].Limits.IdleTimeout = config.Duration(300 * time.Millisecond) })
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, msg := c.read(); code != 421 || msg != "4.4.2 Timeout: no command for the idle timeout (300ms, limits.idle_timeout; RFC 5321 4.5.3.2.7) after EHLO; closing the connection" {
		t.Fatalf("idle: got %d %q", code, msg)
	}
}

// auth.require_tls refuses AUTH in the clear with 538 (RFC 4954 4 asks
// for such a setting), and takes it under TLS.
func TestAuthRequireTLS(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "required", RequireTLS: true, Users: map[string]string{"alice": "secret"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(538, "5.7.11 Encryption required for requested authentication mechanism: send STARTTLS first", "AUTH PLAIN %s", plainIR("alice", "secret"))
	c.expect(538, "5.7.11", "AUTH LOGIN")
	c.expect(530, "5.7.0 Authentication required: send STARTTLS, then AUTH", "MAIL FROM:<a@b.test>")
	c.startTLS()
	c.expect(250, "", "EHLO client.test")
	c.expect(334, "", "AUTH LOGIN")
	c.expect(334, "", "%s", base64.StdEncoding.EncodeToString([]byte("alice")))
	c.expect(235, "2.7.0", "%s", base64.StdEncoding.EncodeToString([]byte("secret")))
	c.expect(250, "", "MAIL FROM:<a@b.test>")

	for _, tc := range []struct {
		edit func(*ListenerConfig)
		want string
	}{
		{func(l *ListenerConfig) { l.TLS = "none"; l.Auth = AuthConfig{Mode: "optional", RequireTLS: true} }, "listeners[0].auth.require_tls"},
		{func(l *ListenerConfig) { l.Auth = AuthConfig{RequireTLS: true} }, "auth.mode is off"},
	} {
		cfg := DefaultConfig()
		tc.edit(&cfg.Listeners[0])
		if err := cfg.Validate(""); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate: got %v, want an error naming %q", err, tc.want)
		}
	}
}

// An idle_timeout below RFC 5321's 5 minutes is taken, with a warning in
// the log at start.
func TestShortIdleTimeoutWarned(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	var mu sync.Mutex
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: clock.Real{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	cfg.Listeners[0].Limits.IdleTimeout = config.Duration(3 * time.Second)
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	s, err := New(cfg, Options{Store: st, Clock: clock.Real{}, Logger: log, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Shutdown(ctx)
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "limits.idle_timeout is below the 5 minutes RFC 5321 4.5.3.2.7 asks") || !strings.Contains(logs.String(), "idle_timeout=3s") {
		t.Errorf("no warning of the short idle timeout in the log:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
