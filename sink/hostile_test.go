package sink

// A hostile-input suite: what a broken or malicious client can send, and
// what the sink must answer (RFC 5321 unless said otherwise), while it keeps
// serving a normal client and loses nothing it already recorded.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/testutil"
)

// hsConn is a raw client connection that reads replies as sent.
type hsConn struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

// hsDial connects; the deadline only bounds a hang.
func hsDial(t testing.TB, addr string) *hsConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(2 * time.Minute))
	return &hsConn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// reply reads one reply: its code and its last line ("" and the error when
// the connection ended instead).
func (c *hsConn) reply() (int, string, error) {
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return 0, "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 {
			return 0, line, fmt.Errorf("short reply line %q", line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			return 0, line, fmt.Errorf("reply line without a code: %q", line)
		}
		if len(line) == 3 || line[3] != '-' {
			return code, line, nil
		}
	}
}

func (c *hsConn) write(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// closed reports whether the server has closed the connection: the next
// read ends without a reply.
func (c *hsConn) closed() bool {
	_, _, err := c.reply()
	return err != nil
}

// hsNormal runs one normal transaction on a fresh connection and fails the
// test unless every reply is the expected success.
func hsNormal(t testing.TB, addr, from string) {
	t.Helper()
	c := hsDial(t, addr)
	for _, step := range []struct {
		send string
		want int
	}{
		{"", 220}, {"EHLO normal.client.test\r\n", 250}, {"MAIL FROM:<" + from + ">\r\n", 250},
		{"RCPT TO:<normal@sink.test>\r\n", 250}, {"DATA\r\n", 354},
		{"From: <" + from + ">\r\nSubject: normal\r\n\r\nA normal message.\r\n.\r\n", 250}, {"QUIT\r\n", 221},
	} {
		if step.send != "" {
			c.write(step.send)
		}
		code, line, err := c.reply()
		if code != step.want {
			t.Fatalf("normal client: after %q got %q (%v), want %d", strings.TrimSpace(step.send), line, err, step.want)
		}
	}
}

// hsStep is one write and the replies it must get, one entry per reply:
// "250", or alternatives "501|553" that RFC 5321 allows.
type hsStep struct {
	send string
	want []string
}

// codes turns ints into single-code entries for hsStep.want.
func codes(cs ...int) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = strconv.Itoa(c)
	}
	return out
}

func allows(alts string, code int) bool {
	return slices.Contains(strings.Split(alts, "|"), strconv.Itoa(code))
}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	// Recorded before the attacks; must still be there after them.
	for i := range 5 {
		hsNormal(t, addr, fmt.Sprintf("before-%d@client.test", i))
	}
	ok := codes(250)
	body := func(from string) string {
		return "MAIL FROM:<" + from + ">\r\nRCPT TO:<b@sink.test>\r\nDATA\r\n"
	}
	cases := []struct {
		name   string
		steps  []hsStep
		closes bool // the server must close the connection at the end
	}{
		{
			// RFC 5321 4.5.3.1.4 and 4.2.2: 500 for a line too long.
			name:   "overlong command line",
			steps:  []hsStep{{send: "EHLO x\r\n", want: ok}, {send: "MAIL FROM:<" + strings.Repeat("a", 5000) + "@x>\r\n", want: codes(500)}},
			closes: true,
		},
		{
			// RFC 5321 4.5.3.1.6: text lines are at most 1000 octets; the
			// sink's max_line_length (2000) ends the session.
			name: "overlong line in the message",
			steps: []hsStep{{send: "EHLO x\r\n", want: ok}, {send: body("long@hostile.test"), want: codes(250, 250, 354)},
				{send: "Subject: x\r\n\r\n" + strings.Repeat("b", 5000) + "\r\n.\r\n", want: codes(500)}},
			closes: true,
		},
		{
			// RFC 2920 3.1: the commands before the overlong line in the
			// same write get their replies; then 500 and the close.
			name: "overlong line after pipelined commands",
			steps: []hsStep{{send: "EHLO x\r\n" + body("pipe@hostile.test") + "Subject: x\r\n\r\n" + strings.Repeat("c", 5000) + "\r\n.\r\n",
				want: codes(250, 250, 250, 354, 500)}},
			closes: true,
		},
		{
			name:   "overlong command after pipelined commands",
			steps:  []hsStep{{send: "EHLO x\r\nNOOP\r\nNOOP " + strings.Repeat("d", 5000) + "\r\n", want: codes(250, 250, 500)}},
			closes: true,
		},
		{
			name:  "bare LF ends commands",
			steps: []hsStep{{send: "EHLO x\nNOOP\n", want: codes(250, 250)}},
		},
		{
			// SMTP smuggling: only CRLF.CRLF ends the data (RFC 5321
			// 4.1.1.4); "\r\n.\n" and "\n.\n" are content.
			name: "bare LF dot does not end the data",
			steps: []hsStep{{send: "EHLO x\r\n", want: ok}, {send: body("smuggle@hostile.test"), want: codes(250, 250, 354)},
				{send: "Subject: x\r\n\r\nhi\r\n.\nMAIL FROM:<evil@hostile.test>\n.\nRCPT TO:<evil@sink.test>\r\n.\r\n", want: ok},
				{send: "NOOP\r\n", want: ok}},
		},
		{
			// A NUL is not in the address syntax (RFC 5321 4.1.2): 501 or
			// 553 (5.1.7).
			name:  "NUL in the sender address",
			steps: []hsStep{{send: "EHLO x\r\n", want: ok}, {send: "MAIL FROM:<nul\x00@hostile.test>\r\n", want: []string{"501|553"}}, {send: "RSET\r\n", want: ok}},
		},
		{
			name:  "control character in the recipient address",
			steps: []hsStep{{send: "EHLO x\r\nMAIL FROM:<a@x>\r\n", want: codes(250, 250)}, {send: "RCPT TO:<b\x01@sink.test>\r\n", want: []string{"501|553"}}, {send: "RSET\r\n", want: ok}},
		},
		{
			// RFC 5321 4.1.1.1: a domain or an address literal.
			name:  "NUL in the EHLO domain",
			steps: []hsStep{{send: "EHLO nul\x00.hostile.test\r\n", want: codes(501)}, {send: "EHLO x\r\n", want: ok}},
		},
		{
			name: "NUL in the message",
			steps: []hsStep{{send: "EHLO x\r\n", want: ok}, {send: body("nulbody@hostile.test"), want: codes(250, 250, 354)},
				{send: "Subject: x\r\n\r\na\x00b\r\n.\r\n", want: []string{"250|554"}}, {send: "NOOP\r\n", want: ok}},
		},
		{
			// RFC 5321 4.2.4: 500 for an unrecognized command.
			name:  "unknown command",
			steps: []hsStep{{send: "EHLO x\r\n", want: ok}, {send: "XYZZY\r\n", want: codes(500)}, {send: "NOOP\r\n", want: ok}},
		},
		{
			name:  "empty command line",
			steps: []hsStep{{send: "\r\n", want: []string{"500|501"}}, {send: "NOOP\r\n", want: ok}},
		},
		{
			// RFC 5321 4.1.4 and 4.3.2: 503 for a bad sequence.
			name:  "MAIL before EHLO",
			steps: []hsStep{{send: "MAIL FROM:<a@x>\r\n", want: codes(503)}, {send: "EHLO x\r\n", want: ok}},
		},
		{
			name:  "RCPT before MAIL",
			steps: []hsStep{{send: "EHLO x\r\n", want: ok}, {send: "RCPT TO:<b@sink.test>\r\n", want: codes(503)}},
		},
		{
			// RFC 5321 3.3: 503 or 554 (no valid recipients).
			name:  "DATA before RCPT",
			steps: []hsStep{{send: "EHLO x\r\nMAIL FROM:<a@x>\r\n", want: codes(250, 250)}, {send: "DATA\r\n", want: []string{"503|554"}}, {send: "RSET\r\n", want: ok}},
		},
		{
			// RFC 5321 4.1.4: MAIL inside a transaction is a bad sequence.
			name:  "nested MAIL",
			steps: []hsStep{{send: "EHLO x\r\nMAIL FROM:<a@x>\r\n", want: codes(250, 250)}, {send: "MAIL FROM:<a@x>\r\n", want: codes(503)}},
		},
		{
			name:  "HELO without a domain",
			steps: []hsStep{{send: "HELO\r\n", want: codes(501)}, {send: "EHLO x\r\n", want: ok}},
		},
		{
			// A client that only errs is shown the door; RFC 5321 3.8 asks
			// for 421 when the server closes.
			name:   "too many errors",
			steps:  []hsStep{{send: "EHLO x\r\n" + strings.Repeat("XYZZY\r\n", 30), want: append(append(codes(250), slices.Repeat(codes(500), 21)...), "421")}},
			closes: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := hsDial(t, addr)
			if code, line, err := c.reply(); code != 220 {
				t.Fatalf("greeting: %q %v", line, err)
			}
			for _, s := range tc.steps {
				c.write(s.send)
				for i, want := range s.want {
					code, line, err := c.reply()
					if err != nil {
						t.Fatalf("after %q: no reply %d: %v", trunc(s.send), i+1, err)
					}
					if !allows(want, code) {
						t.Fatalf("after %q: reply %d is %q, want %v", trunc(s.send), i+1, line, s.want)
					}
				}
			}
			if tc.closes {
				if _, line, err := c.reply(); err == nil {
					t.Errorf("the sink kept the connection open and replied %q", line)
				}
			}
			if !tc.closes {
				c.write("NOOP\r\n")
				if code, line, err := c.reply(); code != 250 {
					t.Errorf("session unusable afterwards: NOOP got %q %v", line, err)
				}
			}
			hsNormal(t, addr, "after-"+strings.ReplaceAll(tc.name, " ", "-")+"@client.test")
		})
	}
	t.Run("pipelining flood", func(t *testing.T) {
		t.Parallel()
		hsFlood(t, addr)
	})
	t.Cleanup(func() {
		db := st.DB()
		if n := itCount(t, db, `SELECT COUNT(*) FROM sink_messages WHERE mail_from LIKE 'before-%' AND code = 250`); n != 5 {
			t.Errorf("%d of the 5 messages recorded before the attacks are left", n)
		}
		if n := itCount(t, db, `SELECT COUNT(*) FROM sink_messages WHERE mail_from = 'smuggle@hostile.test'`); n != 1 {
			t.Errorf("the smuggling attempt was recorded as %d messages, want 1", n)
		}
		if n := itCount(t, db, `SELECT COUNT(*) FROM sink_messages WHERE mail_from = 'evil@hostile.test'`); n != 0 {
			t.Errorf("a smuggled message was accepted (%d)", n)
		}
	})
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// hsFlood writes thousands of commands and 200 whole transactions in one go
// without reading (more than RFC 2920 allows), reading replies meanwhile so
// neither side blocks: every command gets its reply, in order.
func hsFlood(t *testing.T, addr string) {
	const noops, txs = 5000, 200
	c := hsDial(t, addr)
	if code, line, _ := c.reply(); code != 220 {
		t.Fatalf("greeting %q", line)
	}
	var b strings.Builder
	b.WriteString("EHLO flood.client.test\r\n")
	for range noops {
		b.WriteString("NOOP\r\n")
	}
	for i := range txs {
		fmt.Fprintf(&b, "MAIL FROM:<flood@hostile.test>\r\nRCPT TO:<flood%d@sink.test>\r\nDATA\r\nSubject: flood %d\r\n\r\nbody\r\n.\r\n", i, i)
	}
	b.WriteString("QUIT\r\n")
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c.nc, b.String())
		werr <- err
	}()
	want := []int{250}
	want = append(want, slices.Repeat([]int{250}, noops)...)
	want = append(want, slices.Repeat([]int{250, 250, 354, 250}, txs)...)
	want = append(want, 221)
	for i, w := range want {
		code, line, err := c.reply()
		if code != w {
			t.Fatalf("reply %d of %d: %q (%v), want %d", i+1, len(want), line, err, w)
		}
	}
	if err := <-werr; err != nil {
		t.Fatalf("writing the flood: %v", err)
	}
}

func TestHostileIdleClient(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.IdleTimeout = config.Duration(2 * time.Second)
	})
	hsNormal(t, addr, "idle-before@client.test")
	cases := []struct {
		name   string
		script string
	}{
		{"silent after connecting", ""},
		{"silent after EHLO", "EHLO x\r\n"},
		{"stalls in the middle of the data", "EHLO x\r\nMAIL FROM:<stall@hostile.test>\r\nRCPT TO:<b@sink.test>\r\nDATA\r\nSubject: half\r\n\r\nhalf a mess"},
		{"stalls in the middle of a command", "EHLO x\r\nMAIL FROM:<st"},
	}
	var wg sync.WaitGroup
	for _, tc := range cases {
		wg.Add(1)
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer wg.Done()
			c := hsDial(t, addr)
			c.write(tc.script)
			// Read everything the sink says until it hangs up; the last
			// reply must be 421 4.4.2 (RFC 5321 4.5.3.2 timeouts, 3.8).
			var last string
			var replies []string
			for {
				code, line, err := c.reply()
				if err != nil {
					break
				}
				replies = append(replies, line)
				if code == 421 {
					last = line
				}
			}
			if !strings.HasPrefix(last, "421 4.4.2") {
				t.Errorf("the sink closed an idle session without 421 4.4.2 (last 421: %q)", last)
			}
			// The 421 is the one reply to the stall: not a 554 for a
			// "failed transaction" first, to data still coming.
			if n := len(replies); n > 1 && replies[n-2][0] != '2' && replies[n-2][0] != '3' {
				t.Errorf("before the 421, the stalled client got %q", replies[n-2])
			}
		})
	}
	// Meanwhile a normal client is served.
	t.Run("normal client meanwhile", func(t *testing.T) {
		t.Parallel()
		hsNormal(t, addr, "idle-during@client.test")
	})
	t.Cleanup(func() {
		wg.Wait()
		if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_messages WHERE mail_from LIKE 'idle-%' AND code = 250`); n != 2 {
			t.Errorf("%d normal messages recorded, want 2", n)
		}
		if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_messages WHERE mail_from = 'stall@hostile.test' AND code = 250`); n != 0 {
			t.Errorf("a half-sent message was recorded as accepted")
		}
	})
}

// TestHostileHugeMessage streams 100 MB against a 10 MB limit. It does not
// run in parallel so that the heap it measures is the sink's alone.
func TestHostileHugeMessage(t *testing.T) {
	const limit = 10 << 20
	size := 100 << 20
	if testing.Short() {
		size = 30 << 20
	}
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.MaxMessageBytes = limit
	})

	// RFC 1870 6.1: a declared SIZE over the limit is refused at MAIL.
	c := hsDial(t, addr)
	c.reply()
	c.write("EHLO x\r\n")
	c.reply()
	c.write(fmt.Sprintf("MAIL FROM:<declared@hostile.test> SIZE=%d\r\n", size))
	if code, line, err := c.reply(); code != 552 || !strings.Contains(line, "5.3.4") {
		t.Errorf("MAIL with SIZE=%d: got %q (%v), want 552 5.3.4", size, line, err)
	}

	// Undeclared: stream it; the reply after the dot is 552 5.3.4 (RFC 5321
	// 4.5.3.1.10, RFC 3463 3.4) and the sink must not hold it all in memory.
	c.write("RSET\r\nMAIL FROM:<huge@hostile.test>\r\nRCPT TO:<b@sink.test>\r\nDATA\r\n")
	for _, want := range []int{250, 250, 250, 354} {
		if code, line, err := c.reply(); code != want {
			t.Fatalf("before the data: got %q (%v), want %d", line, err, want)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	line := strings.Repeat("x", 998) + "\r\n"
	chunk := []byte(strings.Repeat(line, 64))
	werr := make(chan error, 1)
	go func() {
		var err error
		for sent := 0; sent < size && err == nil; sent += len(chunk) {
			// The deadline guards against a hang, not a slow machine: each
			// chunk that goes through pushes it on (for the reply too).
			c.nc.SetDeadline(time.Now().Add(time.Minute))
			_, err = c.nc.Write(chunk)
		}
		if err == nil {
			_, err = io.WriteString(c.nc, ".\r\n")
		}
		werr <- err
	}()
	code, reply, rerr := c.reply()
	close(stop)
	<-sampled
	err := <-werr
	if code != 552 || !strings.Contains(reply, "5.3.4") {
		t.Errorf("after %d MB: got %q (%v, write error %v), want 552 5.3.4", size>>20, reply, rerr, err)
	}
	growth := int64(peak) - int64(base)
	t.Logf("heap in use grew by %.1f MB while %d MB streamed against a %d MB limit", float64(growth)/(1<<20), size>>20, limit>>20)
	// Measured: about 11 MB, with or without -race, whether 30 or 100 MB
	// are streamed: the first 10 MB in chunks (28 MB before the buffer was
	// capped at the limit). Twice the limit leaves room for the GC.
	if growth > 2*limit {
		t.Errorf("heap grew by %d MB: the sink buffers the message beyond its limit", growth>>20)
	}
	if err == nil && rerr == nil {
		c.write("NOOP\r\n")
		if code, line, _ := c.reply(); code != 250 {
			t.Errorf("session after the refusal: NOOP got %q", line)
		}
	}
	hsNormal(t, addr, "huge-after@client.test")
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_messages WHERE mail_from = 'huge@hostile.test' AND code = 250`); n != 0 {
		t.Errorf("the oversized message was recorded as accepted")
	}
}

func TestHostileManyConnections(t *testing.T) {
	t.Parallel()
	n := 2000
	if testing.Short() {
		n = 300
	}
	// Both ends of every connection live in this process.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	need := uint64(2*n + 500)
	if lim.Cur < need {
		if lim.Max < need {
			msg := fmt.Sprintf("RLIMIT_NOFILE hard limit %d is below the %d this test needs (ulimit -Hn)", lim.Max, need)
			if testutil.InCI() {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatalf("raising RLIMIT_NOFILE to %d: %v", lim.Cur, err)
		}
	}
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.MaxConnections = n + 1 // the crowd and one normal client
	})
	hsNormal(t, addr, "crowd-before@client.test")
	conns := make([]*hsConn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			nc.SetDeadline(time.Now().Add(2 * time.Minute))
			c := &hsConn{t: t, nc: nc, r: bufio.NewReader(nc)}
			conns[i] = c
			if code, line, err := c.reply(); code != 220 {
				errs <- fmt.Errorf("connection %d: greeting %q %v", i, line, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.nc.Close()
			}
		}
	})
	var failed []error
	for err := range errs {
		failed = append(failed, err)
	}
	if len(failed) > 0 {
		t.Fatalf("%d of %d connections failed; first: %v", len(failed), n, errors.Join(failed[:min(3, len(failed))]...))
	}

	// The normal client is connection n+1, within the limit; while it is
	// connected, one more is refused with 421 4.7.0 (RFC 5321 3.8).
	normal := hsDial(t, addr)
	if code, line, err := normal.reply(); code != 220 {
		t.Fatalf("normal client among %d connections: greeting %q %v", n, line, err)
	}
	extra := hsDial(t, addr)
	if code, line, err := extra.reply(); code != 421 || !strings.Contains(line, "4.7.0") {
		t.Errorf("connection %d over the limit: got %q (%v), want 421 4.7.0", n+2, line, err)
	}
	for _, step := range []struct {
		send string
		want int
	}{
		{"EHLO normal.client.test\r\n", 250}, {"MAIL FROM:<crowd-during@client.test>\r\n", 250}, {"RCPT TO:<normal@sink.test>\r\n", 250},
		{"DATA\r\n", 354}, {"Subject: crowd\r\n\r\nhello\r\n.\r\n", 250}, {"QUIT\r\n", 221},
	} {
		normal.write(step.send)
		if code, line, err := normal.reply(); code != step.want {
			t.Fatalf("normal client: %q got %q %v", strings.TrimSpace(step.send), line, err)
		}
	}
	// Every one of the crowd is still served.
	for i, c := range conns {
		c.write("NOOP\r\n")
		if code, line, err := c.reply(); code != 250 {
			t.Fatalf("connection %d: NOOP got %q %v", i, line, err)
		}
	}
	if got := itWaitCount(t, st.DB(), 2, `SELECT COUNT(*) FROM sink_messages WHERE mail_from LIKE 'crowd-%' AND code = 250`); got != 2 {
		t.Errorf("%d normal messages recorded, want 2", got)
	}
}
