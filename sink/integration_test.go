package sink

// Integration tests with SMTP clients that no one here wrote: swaks for
// directive addresses, Postfix's smtp-source for load. They skip outside CI
// when the tool is missing and fail under CI (testutil.NeedCommand).

import (
	"database/sql"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// itSink starts a sink with one listener on 127.0.0.1:0 and its own store
// (testSink) and returns its address as well.
func itSink(t testing.TB, edit func(*Config)) (*Sink, *store.Store, string) {
	t.Helper()
	s, st := testSink(t, nil, edit)
	return s, st, s.Addrs()[s.cfg.Listeners[0].Name].String()
}

// itCount runs a COUNT(*) query on the store's read pool.
func itCount(t testing.TB, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// itWaitCount polls until the query counts want rows. Sessions are written
// when they end, a moment after the client has gone; the generous limit
// only bounds a hang, it does not measure speed.
func itWaitCount(t testing.TB, db *sql.DB, want int, query string, args ...any) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n := itCount(t, db, query, args...)
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// swaks runs swaks against addr and returns its exit code and output.
func swaks(t *testing.T, bin, addr string, args ...string) (int, string) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	all := append([]string{"--server", host, "--port", port, "--helo", "swaks.client.test",
		"--timeout", "30", "--h-Subject", "swaks integration"}, args...)
	cmd := exec.Command(bin, all...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running swaks: %v", err)
	}
	return code, string(out)
}

func TestSwaksDirectives(t *testing.T) {
	t.Parallel()
	bin := testutil.NeedCommand(t, "swaks")
	users := map[string]string{"tester": "pa55word"}
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: users}
	})
	// swaks exit codes (swaks(1) EXIT CODES): 0 sent, 24 no RCPT accepted,
	// 25 DATA refused, 26 refused after the dot, 28 AUTH failed.
	cases := []struct {
		name  string
		args  []string
		code  int
		reply string // a reply swaks printed
	}{
		{"accept", []string{"--to", "alice@sink.test"}, 0, "<-  250 "},
		{"rcpt550", []string{"--to", "rcpt550+bob@sink.test"}, 24, "<** 550 5.1.1"},
		{"rcpt553 with enhanced code", []string{"--to", "rcpt553-5.1.3@sink.test"}, 24, "<** 553 5.1.3"},
		{"unknown user", []string{"--to", "unknown@sink.test"}, 24, "<** 550 5.1.1"},
		{"mailbox full", []string{"--to", "full@sink.test"}, 24, "<** 452 4.2.2"},
		{"data554", []string{"--to", "data554@sink.test"}, 25, "<** 554 5.7.1"},
		{"dot552", []string{"--to", "dot552@sink.test"}, 26, "<** 552 5.3.4"},
		{"dataend451", []string{"--to", "dataend451@sink.test"}, 26, "<** 451 4.7.1"},
		{"pipelined", []string{"--to", "carol@sink.test", "--pipeline"}, 0, "<-  250 "},
		{"starttls", []string{"--to", "dave@sink.test", "--tls"}, 0, "TLS started"},
		{"auth plain over tls", []string{"--to", "erin@sink.test", "--tls", "--auth", "PLAIN", "--auth-user", "tester", "--auth-password", "pa55word"}, 0, "<~  235 "},
		{"auth login over tls", []string{"--to", "erin@sink.test", "--tls", "--auth", "LOGIN", "--auth-user", "tester", "--auth-password", "pa55word"}, 0, "<~  235 "},
		{"auth wrong password", []string{"--to", "erin@sink.test", "--tls", "--auth", "PLAIN", "--auth-user", "tester", "--auth-password", "nope"}, 28, "<~* 535 5.7.8"},
		{"one of two recipients", []string{"--to", "frank@sink.test,rcpt550@sink.test"}, 0, "<** 550 5.1.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			from := "swaks-" + strings.ReplaceAll(tc.name, " ", "-") + "@client.test"
			code, out := swaks(t, bin, addr, append([]string{"--from", from}, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.reply) {
				t.Errorf("swaks exit %d, want %d; output should contain %q:\n%s", code, tc.code, tc.reply, out)
			}
		})
	}
	// "451 twice, then 250" across three separate swaks sessions.
	t.Run("defer2 then accept", func(t *testing.T) {
		t.Parallel()
		for i, want := range []int{24, 24, 0} {
			code, out := swaks(t, bin, addr, "--from", "swaks-defer@client.test", "--to", "defer2@sink.test")
			if code != want {
				t.Fatalf("attempt %d: swaks exit %d, want %d:\n%s", i+1, code, want, out)
			}
			if want == 24 && !strings.Contains(out, "<** 451 4.7.1") {
				t.Errorf("attempt %d: no 451 4.7.1 in:\n%s", i+1, out)
			}
		}
	})
	t.Cleanup(func() {
		// After the subtests: every accepted swaks message is in the store,
		// with its sender.
		db := st.DB()
		got := itWaitCount(t, db, 7, `SELECT COUNT(*) FROM sink_messages WHERE code = 250 AND mail_from LIKE 'swaks-%'`)
		// accept, pipelined, starttls, auth plain, auth login, one of two, defer2's third.
		if got != 7 {
			t.Errorf("store holds %d accepted swaks messages, want 7", got)
		}
		if n := itCount(t, db, `SELECT COUNT(*) FROM sink_messages WHERE mail_from = 'swaks-dot552@client.test' AND code = 552`); n != 1 {
			t.Errorf("the message refused after its dot is recorded %d times with code 552, want 1", n)
		}
	})
}

func TestSmtpSourceLoad(t *testing.T) {
	t.Parallel()
	bin := testutil.NeedCommand(t, "smtp-source")
	sessions, messages := 20, 2000
	if testing.Short() {
		messages = 200
	}
	_, st, addr := itSink(t, nil)
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"new connection per message", nil},
		{"connections reused", []string{"-d"}},
	} {
		from := "source-" + strings.ReplaceAll(mode.name, " ", "-") + "@client.test"
		args := append([]string{"-s", fmt.Sprint(sessions), "-m", fmt.Sprint(messages), "-l", "2048",
			"-f", from, "-t", "load@sink.test", "-M", "source.client.test"}, mode.args...)
		args = append(args, addr)
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: smtp-source %v: %v\n%s", mode.name, args, err, out)
		}
		db := st.DB()
		got := itWaitCount(t, db, messages, `SELECT COUNT(*) FROM sink_messages WHERE mail_from = ? AND code = 250`, from)
		if got != messages {
			t.Errorf("%s: the store holds %d messages from smtp-source, want %d", mode.name, got, messages)
		}
		if n := itCount(t, db, `SELECT COUNT(*) FROM sink_messages WHERE mail_from = ? AND size < 2048`, from); n != 0 {
			t.Errorf("%s: %d messages were recorded shorter than the 2048 bytes sent", mode.name, n)
		}
	}
	// Every session ended and was written, and none of them saw a failure.
	if n := itWaitCount(t, st.DB(), messages+sessions, `SELECT COUNT(*) FROM sink_sessions WHERE end_ns > 0`); n < messages+sessions {
		t.Errorf("%d sessions recorded, want at least %d", n, messages+sessions)
	}
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_attempts WHERE code >= 400`); n != 0 {
		t.Errorf("%d attempts got a failure reply under load", n)
	}
}

// TestSwaksAsyncBounce sends with swaks to a bounce directive and reads the
// DSN the sink sends later back with internal/dsn, as the relay would.
func TestSwaksAsyncBounce(t *testing.T) {
	t.Parallel()
	bin := testutil.NeedCommand(t, "swaks")
	relay := smtptest.Start(t, smtptest.Options{Keep: true})
	_, _, addr := itSink(t, func(c *Config) { c.Bounce.Relay = relay.Addr })
	code, out := swaks(t, bin, addr, "--from", "bounce-sender@client.test", "--to", "bounce1s@sink.test",
		"--header", "Message-Id: <it-bounce-1@client.test>")
	if code != 0 {
		t.Fatalf("swaks exit %d: the sink must accept first:\n%s", code, out)
	}
	deadline := time.Now().Add(60 * time.Second) // bounds a hang; the DSN is due after 1 s
	var msgs []smtptest.Message
	for len(msgs) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		msgs = relay.Messages()
	}
	if len(msgs) != 1 {
		t.Fatalf("the bounce relay got %d messages, want 1 DSN", len(msgs))
	}
	m := msgs[0]
	// RFC 3464 2 and RFC 5321 4.5.5: a DSN has a null reverse path.
	if m.From != "" || len(m.To) != 1 || m.To[0] != "bounce-sender@client.test" {
		t.Errorf("DSN envelope: MAIL FROM:<%s> RCPT TO:%v, want <> to bounce-sender@client.test", m.From, m.To)
	}
	p, err := dsn.Parse(m.Data)
	if err != nil {
		t.Fatalf("the sink's DSN does not parse: %v\n%s", err, m.Data)
	}
	if len(p.Warnings) > 0 {
		t.Errorf("warnings reading the sink's DSN: %q", p.Warnings)
	}
	if len(p.Report.Recipients) != 1 {
		t.Fatalf("DSN reports %d recipients, want 1", len(p.Report.Recipients))
	}
	rc := p.Report.Recipients[0]
	if rc.FinalRecipient != "bounce1s@sink.test" || rc.Action != dsn.ActionFailed || !strings.HasPrefix(rc.Status, "5.") {
		t.Errorf("DSN recipient = %+v, want bounce1s@sink.test failed 5.x.x", rc)
	}
	if p.Report.ReportingMTA == "" {
		t.Error("DSN without Reporting-MTA")
	}
	if p.OriginalMessageID != "<it-bounce-1@client.test>" {
		t.Errorf("DSN returns original Message-ID %q, want <it-bounce-1@client.test>", p.OriginalMessageID)
	}
}
