package sink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// This file checks the sink's promise under kill -9: a message answered
// with 250 at the final dot (DATA) or at BDAT LAST is in the store, raw
// bytes and envelope, whatever happens to the process after that reply.

// crashSink is a `relaylab sink` process.
type crashSink struct {
	cmd  *exec.Cmd
	addr string
	out  *lockedBuffer
	done chan struct{} // closed once the process has exited
	err  error         // its exit status, after done
}

// lockedBuffer holds a crashed sink's output while the test reads it.
type lockedBuffer = testutil.SyncBuffer

// buildRelaylab builds the relaylab binary into a temporary directory.
func buildRelaylab(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "relaylab")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/relaylab")
	cmd.Dir = ".." // the module's root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/relaylab: %v\n%s", err, out)
	}
	return bin
}

var sinkAddrRE = regexp.MustCompile(`(?m)^sink mx +smtp://(127\.0\.0\.1:\d+)$`)

// startCrashSink runs `relaylab sink` on db, listening on a port the
// system picks, and returns once it has printed its address.
func startCrashSink(t *testing.T, bin, db string) *crashSink {
	t.Helper()
	p := &crashSink{out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "sink", "--listen", "127.0.0.1:0", "--db", db, "--log-level", "warn")
	p.cmd.Stderr = p.out
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(p.out, sc.Text())
			if m := sinkAddrRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		p.err = p.cmd.Wait() // after the last read, as os/exec asks
		close(p.done)
	}()
	select {
	case p.addr = <-addr:
	case <-p.done:
		t.Fatalf("relaylab sink --db %s exited before it listened (%v):\n%s", db, p.err, p.out)
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("relaylab sink --db %s printed no address in a minute:\n%s", db, p.out)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p
}

func (p *crashSink) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process with SIGTERM, which must shut it down cleanly.
func (p *crashSink) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	if p.err != nil {
		t.Fatalf("relaylab sink after SIGTERM: %v\n%s", p.err, p.out)
	}
}

// ackedMessage is a message the sink answered with 250, as it was sent.
type ackedMessage struct {
	id    int64 // from "Message accepted as N"
	msgID string
	from  string
	to    []string
	raw   []byte
	bdat  bool
}

// crashLoad is a round of load on one sink process.
type crashLoad struct {
	round   int
	workers int
	killAt  int    // SIGKILL the sink after this many 250s; 0: never
	total   int    // messages to send when killAt is 0
	kill    func() // called once, from the client that got the killAt-th 250

	mu       sync.Mutex
	next     int
	acked    []ackedMessage
	killed   bool
	unwanted []string // replies and errors that are not the sink's fault of being killed
}

func (l *crashLoad) take() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.killed || (l.killAt == 0 && l.next >= l.total) {
		return 0, false
	}
	l.next++
	return l.next - 1, true
}

func (l *crashLoad) ack(m ackedMessage) {
	l.mu.Lock()
	l.acked = append(l.acked, m)
	kill := l.killAt > 0 && len(l.acked) == l.killAt
	if kill {
		l.killed = true // before the signal: an error from now on is the kill's
	}
	l.mu.Unlock()
	if kill {
		l.kill()
	}
}

// failed notes an error, unless the sink has been killed (then every
// session in flight breaks, as it should).
func (l *crashLoad) failed(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.killed {
		l.unwanted = append(l.unwanted, fmt.Sprintf(format, args...))
	}
}

var acceptedRE = regexp.MustCompile(`accepted as (\d+)$`)

// run drives the sink at addr with l.workers clients, each sending a few
// messages per session, alternately with DATA and with BDAT in two chunks.
func (l *crashLoad) run(addr string) {
	var wg sync.WaitGroup
	for w := 0; w < l.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l.session(addr, w) {
			}
		}()
	}
	wg.Wait()
}

// session sends up to five messages in one session; false when the load
// is over for this client.
func (l *crashLoad) session(addr string, w int) bool {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		l.failed("client %d: dial %s: %v", w, addr, err)
		return false
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(2 * time.Minute)) // a hung sink fails the test rather than hanging it
	tp := textproto.NewConn(nc)
	expect := func(what string, code int) (string, bool) {
		got, msg, err := tp.ReadResponse(code)
		if err != nil {
			l.failed("client %d: %s: got %d %q (%v), want %d", w, what, got, msg, err, code)
			return msg, false
		}
		return msg, true
	}
	if _, ok := expect("greeting", 220); !ok {
		return false
	}
	tp.PrintfLine("EHLO crash%d.client.test", w)
	if ehlo, ok := expect("EHLO", 250); !ok {
		return false
	} else if !strings.Contains(ehlo, "CHUNKING") {
		l.failed("client %d: EHLO reply %q offers no CHUNKING", w, ehlo)
		return false
	}
	for k := 0; k < 5; k++ {
		n, ok := l.take()
		if !ok {
			tp.PrintfLine("QUIT")
			tp.ReadResponse(221)
			return false
		}
		m := crashMessage(l.round, n, w)
		tp.PrintfLine("MAIL FROM:<%s>", m.from)
		if _, ok := expect("MAIL", 250); !ok {
			return false
		}
		for _, r := range m.to {
			tp.PrintfLine("RCPT TO:<%s>", r)
			if _, ok := expect("RCPT", 250); !ok {
				return false
			}
		}
		var reply string
		if m.bdat {
			half := len(m.raw) / 2
			fmt.Fprintf(nc, "BDAT %d\r\n%s", half, m.raw[:half])
			if _, ok := expect("BDAT", 250); !ok {
				return false
			}
			fmt.Fprintf(nc, "BDAT %d LAST\r\n%s", len(m.raw)-half, m.raw[half:])
			if reply, ok = expect("BDAT LAST", 250); !ok {
				return false
			}
		} else {
			tp.PrintfLine("DATA")
			if _, ok := expect("DATA", 354); !ok {
				return false
			}
			nc.Write(dotStuffed(m.raw))
			if reply, ok = expect("final dot", 250); !ok {
				return false
			}
		}
		sm := acceptedRE.FindStringSubmatch(reply)
		if sm == nil {
			l.failed("client %d: 250 %q names no message id", w, reply)
			return false
		}
		m.id, _ = strconv.ParseInt(sm[1], 10, 64)
		l.ack(m)
	}
	tp.PrintfLine("QUIT")
	tp.ReadResponse(221)
	return true
}

// crashMessage is message n of a round: a Message-ID of its own, a few
// senders and recipients that repeat (so that attempts are counted), a line
// that DATA must dot-stuff, and sizes from a few hundred bytes to 40 KB,
// so that some rows spill to overflow pages.
func crashMessage(round, n, w int) ackedMessage {
	m := ackedMessage{
		msgID: fmt.Sprintf("r%d.n%d@crash.relaylab.test", round, n),
		from:  fmt.Sprintf("s%d@sender.test", w%3),
		to:    []string{fmt.Sprintf("u%d@crash.test", n%4)},
		bdat:  n%2 == 1,
	}
	if n%5 == 0 {
		m.to = append(m.to, fmt.Sprintf("v%d@other.test", n%3))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Message-ID: <%s>\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: crash round %d message %d\r\n\r\n", m.msgID, m.from, m.to[0], round, n)
	b.WriteString(".a line that DATA sends as ..a line\r\n")
	for i := 0; i < (n%7)*(n%7)*16; i++ {
		fmt.Fprintf(&b, "line %d of message %d of round %d, padded to be a little longer\r\n", i, n, round)
	}
	m.raw = []byte(b.String())
	return m
}

// dotStuffed is raw as DATA sends it (RFC 5321 4.5.2), with the final dot.
func dotStuffed(raw []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(raw, []byte("\r\n")) {
		if len(line) > 0 && line[0] == '.' {
			out.WriteByte('.')
		}
		out.Write(line)
	}
	out.WriteString(".\r\n")
	return out.Bytes()
}

// checkStored opens the database at path with the store package and fails
// unless its integrity check passes and every acknowledged message is there
// as it was sent. It returns the number of stored messages.
func checkStored(t *testing.T, path string, acked []ackedMessage) int {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("opening %s after kill -9: %v", filepath.Base(path), err)
	}
	defer st.Close()
	db := st.DB()
	var integrity string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("%s: integrity_check says %q (%v)", filepath.Base(path), integrity, err)
	}
	// The reports and the web stream read the event log, written in the
	// same transaction as the message.
	logged := map[int64]bool{}
	rows, err := db.QueryContext(ctx, `SELECT payload FROM events WHERE kind = ?`, events.SinkMessage)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var payload []byte
		var p messagePayload
		if err := rows.Scan(&payload); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatalf("%s: a sink.message event that is not JSON: %v: %s", filepath.Base(path), err, payload)
		}
		logged[p.ID] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	// relaylab expect and /api/v1/sink/attempts read the attempts: each
	// recipient of an acknowledged message must be there, accepted, even
	// when the kill cut its session short.
	atts, err := AllAttempts(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	accepted := map[int64]int{}
	for _, a := range atts {
		if a.Message != 0 && a.Reply.Code == 250 {
			accepted[a.Message]++
		}
	}
	lost := 0
	for _, a := range acked {
		m, err := MessageByID(ctx, db, a.id)
		how := map[bool]string{false: "DATA", true: "BDAT LAST"}[a.bdat]
		switch {
		case err != nil:
			t.Errorf("message %d (<%s>, %s) got 250 but is not in the store: %v", a.id, a.msgID, how, err)
		case m.MessageID != a.msgID || !bytes.Equal(m.Raw, a.raw):
			t.Errorf("message %d (<%s>, %s) got 250 but the store has <%s> with other bytes (%d stored, %d sent)", a.id, a.msgID, how, m.MessageID, len(m.Raw), len(a.raw))
		case m.From != a.from || !slices.Equal(m.To, a.to) || m.Reply.Code != 250 || m.Size != len(a.raw):
			t.Errorf("message %d (<%s>, %s): stored envelope %s -> %v, reply %d, size %d; sent %s -> %v, answered 250, %d bytes",
				a.id, a.msgID, how, m.From, m.To, m.Reply.Code, m.Size, a.from, a.to, len(a.raw))
		case !logged[a.id]:
			t.Errorf("message %d (<%s>, %s) got 250 and is stored, but the event log has no sink.message event for it", a.id, a.msgID, how)
		case accepted[a.id] != len(a.to):
			t.Errorf("message %d (<%s>, %s) got 250 and is stored, but the sink's attempts show %d of its %d recipients accepted", a.id, a.msgID, how, accepted[a.id], len(a.to))
		default:
			continue
		}
		if lost++; lost >= 10 {
			t.Fatalf("stopping after 10 acknowledged messages missing or wrong in %s", filepath.Base(path))
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sink_messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// snapshot copies the database as a kill left it (its WAL and shared
// memory index included) so that it can be checked without recovering the
// original, which the next sink process must recover by itself.
func snapshot(t *testing.T, db, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(dir, filepath.Base(db))
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(db + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// TestCrashKillDashNine runs `relaylab sink` under concurrent DATA and BDAT
// load, kills it with SIGKILL after a number of 250 replies, three times on
// the same database, and checks after each kill that every message answered
// with 250 is stored with its bytes and envelope in a database that passes
// its integrity check. A fourth process then takes more mail and must number
// messages after every one acknowledged before.
func TestCrashKillDashNine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds relaylab and runs it as a process")
	}
	t.Parallel()
	bin := buildRelaylab(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "sink.db")
	var all []ackedMessage
	for round := 0; round < 3; round++ {
		p := startCrashSink(t, bin, db)
		l := &crashLoad{round: round, workers: 16, killAt: 150 + 50*round, kill: p.kill}
		l.run(p.addr)
		if len(l.unwanted) > 0 {
			t.Fatalf("round %d, before the kill: %d unexpected replies, first %s\nsink output:\n%s", round, len(l.unwanted), l.unwanted[0], p.out)
		}
		select {
		case <-p.done:
		default:
			t.Fatalf("round %d: the load ended with the sink still running", round)
		}
		all = append(all, l.acked...)
		stored := checkStored(t, snapshot(t, db, filepath.Join(dir, fmt.Sprintf("after-kill-%d", round))), all)
		t.Logf("round %d: %d messages answered 250 before and around the kill (%d in all), %d stored", round, len(l.acked), len(all), stored)
	}
	var maxBefore int64
	for _, a := range all {
		maxBefore = max(maxBefore, a.id)
	}
	p := startCrashSink(t, bin, db)
	l := &crashLoad{round: 3, workers: 4, total: 40}
	l.run(p.addr)
	if len(l.unwanted) > 0 {
		t.Fatalf("after three kills: %d unexpected replies, first %s\nsink output:\n%s", len(l.unwanted), l.unwanted[0], p.out)
	}
	if len(l.acked) != l.total {
		t.Fatalf("after three kills: %d of %d messages answered 250", len(l.acked), l.total)
	}
	for _, a := range l.acked {
		if a.id <= maxBefore {
			t.Errorf("after three kills, <%s> was accepted as %d, a number at or below %d, the last one acknowledged before", a.msgID, a.id, maxBefore)
		}
	}
	p.stop(t)
	all = append(all, l.acked...)
	checkStored(t, db, all)
	checkNumbering(t, db, all)
}

// checkNumbering fails when two stored messages share a message id or an
// attempt number of the same sender and first recipient, or when a session
// recorded after a kill took the number of a session cut short by it.
func checkNumbering(t *testing.T, path string, acked []ackedMessage) {
	t.Helper()
	ids := map[int64]string{}
	for _, a := range acked {
		if other, ok := ids[a.id]; ok {
			t.Errorf("<%s> and <%s> were both accepted as %d", other, a.msgID, a.id)
		}
		ids[a.id] = a.msgID
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.DB().QueryContext(ctx, `SELECT id, session_id, mail_from, rcpts, attempt, message_id FROM sink_messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type first struct {
		id  int64
		msg string
	}
	attempts := map[string]first{}
	sessions := map[int64]string{} // session id -> round of its first message
	for rows.Next() {
		var id, session int64
		var from, rcpts, msgID string
		var attempt int
		if err := rows.Scan(&id, &session, &from, &rcpts, &attempt, &msgID); err != nil {
			t.Fatal(err)
		}
		rcpt, _, _ := strings.Cut(rcpts, "\n")
		k := fmt.Sprintf("%s -> %s attempt %d", from, rcpt, attempt)
		if f, ok := attempts[k]; ok {
			t.Errorf("messages %d (<%s>) and %d (<%s>) are both %s", f.id, f.msg, id, msgID, k)
		}
		attempts[k] = first{id, msgID}
		round, _, _ := strings.Cut(msgID, ".")
		if r, ok := sessions[session]; ok && r != round {
			t.Errorf("session %d holds messages of %s and of %s: a restarted sink numbered a session as one before its kill", session, r, round)
		}
		sessions[session] = round
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
