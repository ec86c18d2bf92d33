package sink

// What is stored must match what happened on the wire: these tests play
// clients whose bytes the sink once misread, and compare the transcript,
// the replies and the attempts with what the client saw.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
)

// hsExpect writes send and checks the codes of the replies it gets.
func hsExpect(t *testing.T, c *hsConn, send string, want ...int) {
	t.Helper()
	if send != "" {
		c.write(send)
	}
	for i, w := range want {
		code, line, err := c.reply()
		if code != w {
			t.Fatalf("after %q: reply %d is %q (%v), want %d", trunc(send), i+1, line, err, w)
		}
	}
}

// A BDAT command that go-smtp refuses for its syntax (RFC 3030 2: BDAT
// SP chunk-size [SP end-marker]) is not followed by a chunk it reads: the
// lines after it are commands, and the refusal is no reply to a message.
func TestBDATSyntaxErrorReadsNoChunk(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	hsExpect(t, c, "EHLO x\r\nMAIL FROM:<bdat@client.test>\r\nRCPT TO:<r@sink.test>\r\n", 250, 250, 250)
	for _, bad := range []struct {
		line string
		code int
	}{{"BDAT 5 FOO", 501}, {"BDAT 5 LAST MORE", 501}, {"BDAT +5", 501}, {"BDAT 4294967296", 552}} {
		// 552 for a size over any limit (conn.rfcReply), no chunk either.
		hsExpect(t, c, bad.line+"\r\n", bad.code)
		hsExpect(t, c, "NOOP\r\n", 250)
	}
	hsExpect(t, c, "BDAT 3 LAST\r\nabc", 250)
	hsExpect(t, c, "QUIT\r\n", 221)
	tr, rs := sessionOf(t, st, 1, 1)
	if n := strings.Count(tr, " C NOOP\n"); n != 4 {
		t.Errorf("the transcript has %d NOOP lines, want 4:\n%s", n, tr)
	}
	var stages []string
	for _, r := range rs {
		if r.Code == 501 || r.Code == 552 {
			stages = append(stages, string(r.Stage)+" "+r.Rcpt)
		}
	}
	sameRows(t, "stages of the 501 and 552 replies", stages, []string{"data-end ", "data-end ", "data-end ", "data-end "})
	sameRows(t, "attempts", attemptRows(t, st), []string{"r@sink.test data-end 250 2.0.0"})
}

// RFC 5321 4.1.1.11 and 4.2.4: a MAIL or RCPT parameter the server does
// not recognize gets 555, not 500 (a command that is not recognized).
func TestUnknownParameterGets555(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	c := hsGreeted(t, addr)
	hsExchanges(t, c, []exchange{
		{"MAIL FROM:<a@client.test> SIZE=10 XFOO=bar", "555 5.5.4 MAIL FROM parameter XFOO not recognized"},
		{"MAIL FROM:<a@client.test> XBAR", "555 5.5.4 MAIL FROM parameter XBAR not recognized"},
		{"MAIL FROM:<a@client.test>", "250 "},
		{"RCPT TO:<b@sink.test> RET=FULL", "555 5.5.4 RCPT TO parameter RET not recognized"},
		{"RCPT TO:b@sink.test XFOO=1", "555 5.5.4 RCPT TO parameter not recognized"},
	})
	hsExpect(t, c, "QUIT\r\n", 221)
	if rows := attemptRows(t, st); len(rows) != 0 {
		t.Errorf("refused parameters made attempts: %q", rows)
	}
}

// trickleConn hands the sink the client's bytes one at a time, as a slow
// client or a hand on a terminal in character mode sends them.
type trickleConn struct{ net.Conn }

func (c trickleConn) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return c.Conn.Read(p)
}

// wrappedSink is testSink with Options.Wrap (and edits of the
// configuration, if any).
func wrappedSink(t *testing.T, wrap func(net.Conn) net.Conn, edit ...func(*Config)) (*store.Store, string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: clock.Real{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	for _, e := range edit {
		e(&cfg)
	}
	s, err := New(cfg, Options{Store: st, Logger: quietLogger(), Seed: 7, Wrap: wrap})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(sctx)
	})
	return st, addrOf(t, s, "mx")
}

// hsStartTLS does the client's side of the handshake after a 220.
func hsStartTLS(t *testing.T, c *hsConn) {
	t.Helper()
	tc := tls.Client(c.nc, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	c.nc = tc
	c.r.Reset(tc)
}

// RFC 3207 4 and RFC 2920 3.1: STARTTLS may end a pipelined group, and a
// command is a command however the bytes of its line arrive.
func TestStartTLSAnyWayItArrives(t *testing.T) {
	t.Parallel()
	t.Run("after RSET in one write", func(t *testing.T) {
		t.Parallel()
		_, _, addr := itSink(t, nil)
		c := hsDial(t, addr)
		hsExpect(t, c, "", 220)
		hsExpect(t, c, "EHLO x\r\n", 250)
		hsExpect(t, c, "RSET\r\nSTARTTLS\r\n", 250, 220)
		hsStartTLS(t, c)
		hsExpect(t, c, "EHLO y\r\n", 250)
	})
	t.Run("one byte at a time", func(t *testing.T) {
		t.Parallel()
		st, addr := wrappedSink(t, func(c net.Conn) net.Conn { return trickleConn{c} })
		c := hsDial(t, addr)
		hsExpect(t, c, "", 220)
		hsExpect(t, c, "EHLO x\r\n", 250)
		hsExpect(t, c, "STARTTLS\r\n", 220)
		hsStartTLS(t, c)
		hsExpect(t, c, "EHLO y\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<b@sink.test>\r\nDATA\r\n", 250, 250, 250, 354)
		hsExpect(t, c, "Subject: slow\r\n\r\nslow\r\n.\r\nQUIT\r\n", 250, 221)
		tr, _ := sessionOf(t, st, 1, 1)
		for _, want := range []string{" C EHLO x\n", " C STARTTLS\n", " * TLS established", " C EHLO y\n", " C [23 bytes of message]\n", " C QUIT\n"} {
			if !strings.Contains(tr, want) {
				t.Errorf("the transcript lacks %q:\n%s", want, tr)
			}
		}
		var tlsDesc string
		st.DB().QueryRow(`SELECT tls FROM sink_attempts`).Scan(&tlsDesc)
		if tlsDesc == "" {
			t.Errorf("the message is not recorded as sent under TLS")
		}
	})
	t.Run("commands after it in the same write are dropped", func(t *testing.T) {
		// RFC 3207 5 (and CVE-2011-0411): what the client sent in the
		// clear after STARTTLS must not be taken as said under TLS.
		t.Parallel()
		_, st, addr := itSink(t, nil)
		c := hsDial(t, addr)
		hsExpect(t, c, "", 220)
		hsExpect(t, c, "EHLO x\r\n", 250)
		hsExpect(t, c, "STARTTLS\r\nEHLO injected.test\r\n", 220)
		hsStartTLS(t, c)
		hsExpect(t, c, "MAIL FROM:<a@client.test>\r\n", 503)
		hsExpect(t, c, "QUIT\r\n", 221)
		tr, _ := sessionOf(t, st, 1, 1)
		if strings.Contains(tr, "injected") || !strings.Contains(tr, "20 octets sent after STARTTLS") {
			t.Errorf("the transcript should note the 20 octets dropped, not show them as a command:\n%s", tr)
		}
	})
	t.Run("with an argument", func(t *testing.T) {
		t.Parallel()
		_, _, addr := itSink(t, nil)
		c := hsDial(t, addr)
		hsExpect(t, c, "", 220)
		hsExpect(t, c, "EHLO x\r\n", 250)
		c.write("STARTTLS now\r\n")
		if _, line, err := c.reply(); !strings.HasPrefix(line, "501 5.5.4 ") {
			t.Errorf("STARTTLS with an argument: got %q (%v), want 501 5.5.4 (RFC 3207 4: no parameters)", line, err)
		}
		hsExpect(t, c, "NOOP\r\n", 250)
		hsExpect(t, c, "STARTTLSX\r\n", 500)
		hsExpect(t, c, "NOOP\r\n", 250)
	})
}

// RFC 5321 2.3.8: a command line ends with CRLF. One the client leaves
// unterminated as it closes is not a command: no reply, no attempt.
func TestUnterminatedCommandAtCloseIsNotRun(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	c.write("EHLO x\r\nMAIL FROM:<part@client.test>\r\nRCPT TO:<partial@sink.test>")
	c.nc.(*net.TCPConn).CloseWrite()
	hsExpect(t, c, "", 250, 250)
	if code, line, err := c.reply(); err == nil {
		t.Errorf("the unterminated RCPT got a reply: %d %q", code, line)
	}
	tr, rs := sessionOf(t, st, 1, 1)
	if len(rs) != 3 {
		t.Errorf("%d replies recorded, want 3 (greeting, EHLO, MAIL): %+v", len(rs), rs)
	}
	if !strings.Contains(tr, `unterminated line "RCPT TO:<partial@sink.test>"`) {
		t.Errorf("the transcript does not note the unterminated line:\n%s", tr)
	}
	if rows := attemptRows(t, st); len(rows) != 0 {
		t.Errorf("the unterminated RCPT made attempts: %q", rows)
	}
}

// A client that goes in the middle of a message gave no end to it, and got
// no reply: the attempt says so (code 0, as for a drop), no message is
// stored, and no reply is recorded that the client never asked for.
func TestClientGoneInTheMessage(t *testing.T) {
	t.Parallel()
	env := "EHLO x\r\nMAIL FROM:<gone@client.test>\r\nRCPT TO:<b@sink.test>\r\n"
	for _, tc := range []struct {
		name, send string
		replies    []int
		note       string
	}{
		{"DATA", env + "DATA\r\nSubject: half\r\n\r\nhal", []int{250, 250, 250, 354}, "the client closed the connection in the message data after 20 octets"},
		{"BDAT LAST", env + "BDAT 100 LAST\r\nSubject: cut\r\n\r\nabc", []int{250, 250, 250}, "the client closed the connection 81 octets short of the end of a BDAT chunk"},
		{"BDAT", env + "BDAT 100\r\nabc", []int{250, 250, 250}, "the client closed the connection 97 octets short of the end of a BDAT chunk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, st, addr := itSink(t, nil)
			c := hsDial(t, addr)
			hsExpect(t, c, "", 220)
			c.write(tc.send)
			c.nc.(*net.TCPConn).CloseWrite()
			hsExpect(t, c, "", tc.replies...)
			if code, line, err := c.reply(); err == nil {
				t.Errorf("the cut message got a reply: %d %q", code, line)
			}
			tr, rs := sessionOf(t, st, 1, 1)
			if len(rs) != 1+len(tc.replies) {
				t.Errorf("%d replies recorded, want %d: %+v", len(rs), 1+len(tc.replies), rs)
			}
			if !strings.Contains(tr, tc.note) {
				t.Errorf("the transcript lacks %q:\n%s", tc.note, tr)
			}
			sameRows(t, "attempts", attemptRows(t, st), []string{"b@sink.test data-end 0 "})
			if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_messages`); n != 0 {
				t.Errorf("%d messages stored from a cut transfer", n)
			}
		})
	}
}

// A client that sends the message in the same write as DATA, before the
// 354 (RFC 2920 3.1 has it wait; some do not), has it taken as the message
// in the record too: not as commands, each awaiting a reply of its own.
func TestMessageInTheWriteOfDATA(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	hsExpect(t, c, "EHLO x\r\nMAIL FROM:<eager@client.test>\r\nRCPT TO:<b@sink.test>\r\nDATA\r\nSubject: eager\r\n\r\nbody\r\n.\r\nQUIT\r\n", 250, 250, 250, 354, 250, 221)
	tr, rs := sessionOf(t, st, 1, 1)
	if strings.Contains(tr, " C Subject: eager") || !strings.Contains(tr, " C [24 bytes of message]\n") {
		t.Errorf("the message is not recorded as a message of 24 bytes:\n%s", tr)
	}
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%s %d %s", r.Stage, r.Code, r.Rcpt))
	}
	sameRows(t, "replies", got, []string{"connect 220 ", "ehlo 250 ", "mail 250 ", "rcpt 250 b@sink.test", "data 354 ", "data-end 250 b@sink.test", "quit 221 "})
}

// The same for a SASL response sent with its AUTH command, before the
// 334 (RFC 4954 4 has the client wait): the transcript keeps credentials
// out, as it does for a client that waits.
func TestSASLResponseInTheWriteOfAUTH(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"u": "secret"}}
	})
	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	// "\x00u\x00secret" in BASE64.
	hsExpect(t, c, "EHLO x\r\nAUTH PLAIN\r\nAHUAc2VjcmV0\r\nQUIT\r\n", 250, 334, 235, 221)
	tr, rs := sessionOf(t, st, 1, 1)
	if strings.Contains(tr, "AHUAc2VjcmV0") || !strings.Contains(tr, " C [credentials]\n") {
		t.Errorf("the transcript shows the credentials or lacks [credentials]:\n%s", tr)
	}
	if n := len(rs); n != 5 || rs[3].Stage != StageAuth || rs[4].Stage != StageQuit {
		t.Errorf("replies %+v, want the 235 at stage auth and the 221 at quit", rs)
	}
}

// A client that writes commands and never reads the replies stops the
// sink in the middle of writing one: the idle timeout lets go of it there
// too, as it does of one that stops writing (RFC 5321 4.5.3.2), instead
// of holding the connection, and one of limits.max_connections, for ever.
func TestClientThatNeverReads(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.IdleTimeout = config.Duration(time.Second)
	})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	go func() {
		flood := []byte(strings.Repeat("NOOP\r\n", 10000))
		for range 100 {
			if _, err := nc.Write(flood); err != nil {
				return
			}
		}
	}()
	// Sessions are recorded when they end.
	if n := itWaitCount(t, st.DB(), 1, `SELECT COUNT(*) FROM sink_sessions WHERE end_ns > 0`); n != 1 {
		t.Fatal("the session of a client that reads nothing has not ended")
	}
	tr, _ := sessionOf(t, st, 1, 1)
	if !strings.Contains(tr, "the client did not read this reply in time") {
		t.Errorf("the transcript does not say why the session ended:\n%s", tr[max(0, len(tr)-2000):])
	}
}

// A delay the sink plays before a reply is not the client's idleness: a
// reply after a delay longer than the idle timeout still goes out.
func TestDelayLongerThanTheIdleTimeout(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.IdleTimeout = config.Duration(500 * time.Millisecond)
	})
	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	hsExpect(t, c, "EHLO x\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<datadelay1s@sink.test>\r\n", 250, 250, 250)
	hsExpect(t, c, "DATA\r\n", 354)
	hsExpect(t, c, "Subject: late\r\n\r\nlate\r\n.\r\n", 250)
}

// RFC 6531: a non-ASCII address needs SMTPUTF8 on its MAIL FROM, and a
// listener that hides SMTPUTF8 does not take the parameter.
func TestSMTPUTF8Declared(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	c := hsGreeted(t, addr)
	hsExchanges(t, c, []exchange{
		{"MAIL FROM:<jöe@client.test>", "553 5.6.7 "},
		{"MAIL FROM:<joe@client.test>", "250 "},
		{"RCPT TO:<rö@sink.test>", "553 5.6.7 "},
		{"RSET", "250 "},
		{"MAIL FROM:<jöe@client.test> SMTPUTF8", "250 "},
		{"RCPT TO:<rö@sink.test>", "250 "},
	})
	hsExpect(t, c, "QUIT\r\n", 221)
	waitSessions(t, st, 1)
	// The refusal is the attempt of (joe, rö) as the client wrote it, so
	// that a test can find its application's refused address.
	sameRows(t, "attempts", attemptRows(t, st), []string{"rö@sink.test rcpt 553 5.6.7", "rö@sink.test rcpt 250 2.1.5"})

	_, _, hidden := itSink(t, func(c *Config) { c.Listeners[0].Hide = []string{"SMTPUTF8"} })
	h := hsDial(t, hidden)
	hsExpect(t, h, "", 220)
	hsExpect(t, h, "EHLO x\r\n", 250)
	h.write("MAIL FROM:<jöe@client.test> SMTPUTF8\r\n")
	if _, line, err := h.reply(); !strings.HasPrefix(line, "555 5.5.4 ") {
		t.Errorf("SMTPUTF8 where it is hidden: got %q (%v), want 555 5.5.4", line, err)
	}
}

// A PLAIN response that is not authzid NUL authcid NUL passwd (RFC 4616 2)
// is a syntax error in the client's response: 501, not go-smtp's 454 4.7.0
// "sasl: invalid response", a temporary failure that has it try again.
func TestAuthPlainMalformed(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"u": "p"}}
	})
	c := hsGreeted(t, addr)
	hsExchanges(t, c, []exchange{
		{"AUTH PLAIN =", "501 5.5.2 "},        // an empty response
		{"AUTH PLAIN dXNlcg==", "501 5.5.2 "}, // "user"
		{"AUTH PLAIN", "334 "},
		{"dQBw", "501 5.5.2 "}, // "u\x00p"
		{"AUTH PLAIN AHUAcA==", "235 2.7.0 "},
	})
}

// A quoted local part (RFC 5321 4.1.2) is recorded quoted, as the client
// wrote the mailbox, not as go-smtp hands it over without its quotes
// ("john doe"@x is not john doe@x, and "a@b"@x not a@b@x).
func TestQuotedLocalPartRecordedQuoted(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	c := hsGreeted(t, addr)
	hsExchanges(t, c, []exchange{
		{`MAIL FROM:<"jane doe"@client.test>`, `250 2.1.0 Sender <"jane doe"@client.test> OK`},
		{`RCPT TO:<"john doe"@sink.test>`, `250 2.1.5 Recipient <"john doe"@sink.test> OK`},
		{`RCPT TO:<"a@b"@sink.test>`, `250 2.1.5 Recipient <"a@b"@sink.test> OK`},
		{`RCPT TO:<"q\"uo\\te"@sink.test>`, `250 2.1.5 Recipient <"q\"uo\\te"@sink.test> OK`},
		{`RCPT TO:<"plain"@sink.test>`, `250 2.1.5 Recipient <plain@sink.test> OK`},
		{"DATA", "354 "},
		{"Subject: q\r\n\r\nq\r\n.", "250 "},
	})
	hsExpect(t, c, "QUIT\r\n", 221)
	waitSessions(t, st, 1)
	var from, rcpts string
	if err := st.DB().QueryRow(`SELECT mail_from, rcpts FROM sink_messages`).Scan(&from, &rcpts); err != nil {
		t.Fatal(err)
	}
	if from != `"jane doe"@client.test` {
		t.Errorf("sender recorded as %q", from)
	}
	sameRows(t, "recipients", strings.Split(rcpts, "\n"), []string{`"john doe"@sink.test`, `"a@b"@sink.test`, `"q\"uo\\te"@sink.test`, "plain@sink.test"})
}

// An extension a listener hides (hide:) is not there: its command or
// parameter gets the reply of a server without it, as DSN's do, instead
// of working unadvertised, so that a client that uses it anyway is caught.
func TestHiddenExtensionsRefused(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Hide = []string{"STARTTLS", "AUTH", "8BITMIME", "SIZE"}
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"u": "p"}}
	})
	c := hsGreeted(t, addr)
	hsExchanges(t, c, []exchange{
		{"STARTTLS", "502 5.5.1 "},
		{"AUTH PLAIN AHUAcA==", "502 5.5.1 "},
		{"MAIL FROM:<a@client.test> BODY=8BITMIME", "555 5.5.4 MAIL FROM parameter BODY"},
		{"MAIL FROM:<a@client.test> SIZE=100", "555 5.5.4 MAIL FROM parameter SIZE"},
		{"MAIL FROM:<a@client.test>", "250 "},
	})
}

// With auth off (the default) AUTH is not offered, and not run either.
func TestAuthOffRefused(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, nil)
	c := hsGreeted(t, addr)
	for _, send := range []string{"AUTH PLAIN AHUAcA==", "AUTH LOGIN"} {
		c.write(send + "\r\n")
		if _, line, err := c.reply(); !strings.HasPrefix(line, "502 5.5.1 ") {
			t.Errorf("%q: got %q (%v), want 502 5.5.1", send, line, err)
		}
	}
	hsExpect(t, c, "NOOP\r\n", 250)
}

// RFC 5321 4.1.1.6: VRFY takes a string; without one it is a syntax error.
func TestVRFYWithoutArgument(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, nil)
	c := hsGreeted(t, addr)
	c.write("VRFY\r\n")
	if _, line, err := c.reply(); !strings.HasPrefix(line, "501 5.5.4 ") {
		t.Errorf("VRFY without an argument: got %q (%v), want 501 5.5.4", line, err)
	}
	hsExpect(t, c, "VRFY bob\r\n", 252)
}

// Once the transcript is full, the sink's own notes (why the session
// ended, what it did not take) still go in, up to a small bound: a flood
// must not hide them.
func TestNotesAfterTheTranscriptIsFull(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	const n = 6000
	go func() {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "NOOP %0100d\r\n", i)
		}
		b.WriteString("RCPT TO:<cut")
		c.write(b.String())
		c.nc.(*net.TCPConn).CloseWrite()
	}()
	for i := range n {
		if code, line, err := c.reply(); code != 250 {
			t.Fatalf("NOOP %d: %q %v", i, line, err)
		}
	}
	tr, _ := sessionOf(t, st, 1, 1)
	if !strings.Contains(tr, "[transcript truncated here") || !strings.Contains(tr, `unterminated line "RCPT TO:<cut"`) {
		t.Errorf("the full transcript lacks the note of the unterminated line; its end:\n%s", tr[max(0, len(tr)-500):])
	}
	if len(tr) > maxTranscript+8<<10 {
		t.Errorf("transcript of %d bytes", len(tr))
	}
}

// exchange is one line a test client sends and the start of the reply it
// wants.
type exchange struct{ send, want string }

// hsExchanges sends each exchange's line and checks that its reply
// begins with want.
func hsExchanges(t *testing.T, c *hsConn, xs []exchange) {
	t.Helper()
	for _, x := range xs {
		c.write(x.send + "\r\n")
		if _, line, err := c.reply(); !strings.HasPrefix(line, x.want) {
			t.Errorf("%q: got %q (%v), want %q...", x.send, line, err, x.want)
		}
	}
}

// hsGreeted dials addr, reads the greeting and says EHLO x, as most
// exchanges begin.
func hsGreeted(t *testing.T, addr string) *hsConn {
	t.Helper()
	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	hsExpect(t, c, "EHLO x\r\n", 250)
	return c
}
