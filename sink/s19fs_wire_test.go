package sink

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// An EHLO or HELO name that is not UTF-8 gets 501 naming the octet, as an
// address does at MAIL and RCPT; one in UTF-8 is echoed in ASCII, as its
// A-labels, since reply text is ASCII (RFC 5321 4.2).
func TestEHLONotUTF8(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, nil)
	for _, tc := range []struct{ name, want string }{
		{"\xff\xff", "501 5.5.2 Syntax error in the EHLO argument: octet 0xff at octet 1 is not UTF-8"},
		{"h\xe9llo.test", "501 5.5.2 Syntax error in the EHLO argument: octet 0xe9 at octet 2 is not UTF-8"},
		{"héllo.test", "250 sink.relaylab.test Hello xn--hllo-bpa.test"},
		{"hé..test", `501 5.5.2 Syntax error in the EHLO argument: "h\u00e9..test" is neither`},
	} {
		for _, verb := range []string{"EHLO", "HELO"} {
			c := hsDial(t, addr)
			c.reply()
			c.write(verb + " " + tc.name + "\r\n")
			// The first line of the reply: the one that echoes the name.
			line, err := c.r.ReadString('\n')
			if verb == "EHLO" {
				line = strings.Replace(line, "250-", "250 ", 1)
			}
			if err != nil || !strings.HasPrefix(line, tc.want) {
				t.Errorf("%s %q: got %q (%v), want %q...", verb, tc.name, line, err, tc.want)
			}
			if !isASCII(line) {
				t.Errorf("%s %q: reply %q is not ASCII", verb, tc.name, line)
			}
		}
	}
}

// A path that is not UTF-8 and that go-smtp's parser refuses (an octet
// before a special) gets the reply that names the octet, as one it parses
// does, not the generic syntax error.
func TestPathNotUTF8Named(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, nil)
	_, lines := pipelined(t, addr, "EHLO x.test\r\nMAIL FROM:<\xc3(@x.test>\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<\xc3(@lab.test>\r\nRCPT TO: <ab\xc3(@lab.test> NOTIFY=NEVER\r\nQUIT\r\n")
	want := []string{
		"501 5.1.7 Bad sender address syntax: octet 0xc3 at octet 1 is not UTF-8",
		"250 ",
		"501 5.1.3 Bad recipient address syntax: octet 0xc3 at octet 1 is not UTF-8",
		"501 5.1.3 Bad recipient address syntax: octet 0xc3 at octet 3 is not UTF-8",
	}
	if len(lines) != 7 {
		t.Fatalf("replies %q", lines)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[2+i], w) {
			t.Errorf("reply %d: %q, want %q...", i, lines[2+i], w)
		}
	}
}

// A BDAT chunk size that is a number too large for any message gets
// 552 5.3.4 naming the limit, as a SIZE over it does at MAIL.
func TestBDATHugeSize(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, nil)
	_, lines := pipelined(t, addr, "EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@lab.test>\r\nBDAT 99999999999 LAST\r\nBDAT 1x LAST\r\nQUIT\r\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[4], "552 5.3.4 Message size exceeds the limit of 26214400 octets: BDAT declared a chunk of 99999999999 octets") {
		t.Fatalf("replies %q", lines)
	}
	if !strings.HasPrefix(lines[5], "501 5.5.4") {
		t.Errorf("BDAT 1x: %q, want the 501 of a malformed size", lines[5])
	}
}

// The idle timeout between commands is recorded at the stage the session
// was at (that of the last command answered), and its text says which;
// the one in the middle of a message, at data-end. Not "other".
func TestIdleTimeoutStage(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, idleTimeout(300*time.Millisecond))
	for i, tc := range []struct {
		script string
		stage  Stage
		text   string
	}{
		{"EHLO x.test\r\nMAIL FROM:<a@x.test>\r\n", StageMail, "4.5.3.2.7) after MAIL; closing"},
		{"EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@lab.test>\r\n", StageRcpt, "after RCPT;"},
		{"", StageConnect, "after the greeting;"},
		{"EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@lab.test>\r\nDATA\r\nSubject: half\r\n", StageDataEnd, "in the middle of the message"},
	} {
		codes, lines := pipelined(t, addr, tc.script)
		if codes[len(codes)-1] != 421 || !strings.Contains(lines[len(lines)-1], tc.text) {
			t.Errorf("%q: last reply %q, want 421 with %q", tc.script, lines[len(lines)-1], tc.text)
		}
		waitSessions(t, st, i+1)
		rs, _ := lastSession(t, st)
		if last := rs[len(rs)-1]; last.Code != 421 || last.Stage != tc.stage {
			t.Errorf("%q: recorded %+v, want 421 at %s", tc.script, last, tc.stage)
		}
	}
}

// AUTH failures end the session after maxAuthFailures: the one over it
// gets its 535, then 421 4.7.0, and the connection closes.
func TestAuthFailuresEndSession(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"alice": "secret"}}
	})
	script := "EHLO x.test\r\n" + strings.Repeat("AUTH PLAIN "+plainIR("alice", "wrong")+"\r\n", 30) + "QUIT\r\n"
	codes, lines := pipelined(t, addr, script)
	if len(codes) != 2+maxAuthFailures+2 || codes[len(codes)-2] != 535 || codes[len(codes)-1] != 421 {
		t.Fatalf("replies %v", codes)
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "421 4.7.0 Too many failed authentications: 11") {
		t.Errorf("closing reply %q", last)
	}
	waitSessions(t, st, 1)
	if rs, _ := lastSession(t, st); rs[len(rs)-1].Code != 421 || rs[len(rs)-1].Stage != StageAuth {
		t.Errorf("last reply recorded %+v, want 421 at auth", rs[len(rs)-1])
	}
	// Under the limit, a right password still works.
	codes, _ = pipelined(t, addr, "EHLO x.test\r\n"+strings.Repeat("AUTH PLAIN "+plainIR("alice", "wrong")+"\r\n", maxAuthFailures)+"AUTH PLAIN "+plainIR("alice", "secret")+"\r\nQUIT\r\n")
	if codes[len(codes)-2] != 235 || codes[len(codes)-1] != 221 {
		t.Errorf("the right password after %d wrong ones: replies %v", maxAuthFailures, codes)
	}
}

// A message that trickles in, each octet within the idle timeout, is cut
// off once limits.min_data_rate says it is too slow, with 421 4.4.2 that
// says so; it is not accepted.
func TestMinDataRate(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.IdleTimeout = config.Duration(time.Second)
		c.Listeners[0].Limits.MinDataRate = 1000
	})
	c := hsDial(t, addr)
	c.write("EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@lab.test>\r\nDATA\r\n")
	for range 5 {
		c.reply()
	}
	body := "Subject: slow\r\n\r\nslow\r\n.\r\n"
	got := make(chan string, 1)
	go func() {
		code, line, err := c.reply()
		got <- fmt.Sprint(code, " ", line, " ", err)
	}()
	var reply string
	for i := 0; i < len(body) && reply == ""; i++ {
		c.nc.Write([]byte{body[i]})
		select {
		case reply = <-got:
		case <-time.After(400 * time.Millisecond): // within the idle timeout
		}
	}
	if reply == "" {
		reply = <-got
	}
	if !strings.Contains(reply, "421 4.4.2 Timeout: the message came too slowly") || !strings.Contains(reply, "limits.min_data_rate") {
		t.Fatalf("reply %q, want 421 4.4.2 for a message too slow", reply)
	}
	waitSessions(t, st, 1)
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_messages`); n != 0 {
		t.Errorf("%d messages stored, want none", n)
	}
}

// Lines after QUIT are not commands: the transcript says how many octets
// came, instead of showing them as commands never answered.
func TestAfterQuitNoted(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	tail := "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@lab.test>\r\n"
	codes, _ := pipelined(t, addr, "EHLO x.test\r\nQUIT\r\n"+tail)
	if fmt.Sprint(codes) != "[220 250 221]" {
		t.Fatalf("replies %v", codes)
	}
	waitSessions(t, st, 1)
	_, tr := lastSession(t, st)
	if strings.Contains(tr, "C MAIL FROM") || !strings.Contains(tr, fmt.Sprintf("* %d octets after QUIT were not read as commands", len(tail))) {
		t.Errorf("transcript:\n%s", tr)
	}
}

// limits.min_data_rate counts from the message's first read, not from the
// 354 or the BDAT line: a tarpit on the 354 and a delay on a RCPT pipelined
// before BDAT are the sink's own slowness, and the message that follows
// at once is taken.
func TestMinDataRateNotTheSinksSlowness(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.IdleTimeout = config.Duration(time.Second)
		c.Listeners[0].Limits.MinDataRate = 100000
	})
	c := hsDial(t, addr)
	c.write("EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<data-tarpit40ms@lab.test>\r\nDATA\r\n")
	for range 5 {
		c.reply() // the 354 takes about two seconds, an octet at a time
	}
	c.write("Subject: x\r\n\r\n" + strings.Repeat(strings.Repeat("x", 98)+"\r\n", 200) + ".\r\n")
	if code, line, err := c.reply(); code != 250 {
		t.Errorf("after a tarpit on the 354: %q %v, want 250", line, err)
	}
	chunk := strings.Repeat(strings.Repeat("y", 98)+"\r\n", 200)
	c.write("MAIL FROM:<a@x.test>\r\nRCPT TO:<delay2s@lab.test>\r\nBDAT 20000 LAST\r\n" + chunk)
	for i := range 3 {
		if code, line, err := c.reply(); code != 250 {
			t.Errorf("reply %d after a delay before BDAT: %q %v, want 250", i, line, err)
		}
	}
}
