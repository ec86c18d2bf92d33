package sink

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

func replyCounts(t testing.TB, st *store.Store) (ReplyTally, map[string]int) {
	t.Helper()
	tally, err := CountReplies(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, c := range tally.Counts {
		m[fmt.Sprintf("%s %d", c.Stage, c.Code)] = c.Count
	}
	return tally, m
}

func execSQL(t testing.TB, st *store.Store, q string) {
	t.Helper()
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(q)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestCountReplies: every reply of ended sessions, the successes too, by
// stage and code; a session that has stored a message and not ended
// counts its reply after the data; a placeholder row is no session.
func TestCountReplies(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")

	// One session: accepted, refused after the dot, refused at RCPT.
	c := dial(t, addr)
	c.greet()
	if code, msg := c.send("a@sender.test", "app@sink.test", testMsg); code != 250 {
		t.Fatalf("accepted: %d %s", code, msg)
	}
	if code, msg := c.send("a@sender.test", "dot552@sink.test", testMsg); code != 552 {
		t.Fatalf("after the dot: %d %s", code, msg)
	}
	c.expect(250, "", "RSET")
	if code, msg := c.send("a@sender.test", "550@sink.test", testMsg); code != 550 {
		t.Fatalf("at RCPT: %d %s", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)

	// A second session stores a message and stays open.
	open := dial(t, addr)
	open.greet()
	if code, msg := open.send("a@sender.test", "open@sink.test", testMsg); code != 250 {
		t.Fatalf("open session: %d %s", code, msg)
	}
	// ReserveIDs' placeholder: no listener, no start.
	execSQL(t, st, `INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (1000, '', '', 0, 0)`)

	tally, got := replyCounts(t, st)
	if tally.Sessions != 2 || tally.Open != 1 {
		t.Errorf("sessions %d, open %d; want 2 and 1", tally.Sessions, tally.Open)
	}
	want := map[string]int{
		"connect 220": 1, "ehlo 250": 1, "mail 250": 3, "rcpt 250": 2, "rcpt 550": 1, "data 354": 2,
		"data-end 250": 2, "data-end 552": 1, "rset 250": 1, "quit 221": 1,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d replies, want %d (all: %v)", k, got[k], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("counts %v, want exactly %v", got, want)
	}
	for i := 1; i < len(tally.Counts); i++ {
		a, b := tally.Counts[i-1], tally.Counts[i]
		if a.Stage > b.Stage || a.Stage == b.Stage && a.Code >= b.Code {
			t.Errorf("counts not sorted by stage and code: %v", tally.Counts)
		}
	}

	// Once it ends, its whole list replaces the stand-in.
	open.expect(221, "", "QUIT")
	waitSessions(t, st, 2)
	tally, got = replyCounts(t, st)
	if tally.Open != 0 || got["data-end 250"] != 2 || got["connect 220"] != 2 || got["quit 221"] != 2 {
		t.Errorf("after the second session ended: open %d, counts %v", tally.Open, got)
	}
}

// TestCountRepliesNamesBadRow: a replies column that is not JSON fails
// with the session's id, not SQLite's bare "malformed JSON".
func TestCountRepliesNamesBadRow(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	execSQL(t, st, `INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns, replies) VALUES
		(1, 'mx', '127.0.0.1:1', 1, 2, '[{"stage":"connect","code":220}]'), (2, 'mx', '127.0.0.1:2', 3, 4, 'not json')`)
	_, err = CountReplies(context.Background(), st.DB())
	if err == nil || !strings.Contains(err.Error(), "the replies of session 2 ") {
		t.Fatalf("got %v, want an error naming session 2", err)
	}
}

// fillSessions writes n ended sessions the size of a real one: a
// transcript of about 1.5 kB and the ten replies of one accepted message.
func fillSessions(tb testing.TB, st *store.Store, n int) {
	tb.Helper()
	replies := `[{"t":0,"stage":"connect","code":220,"text":"sink ESMTP"},{"t":0.001,"stage":"ehlo","code":250,"text":"Hello"},` +
		`{"t":0.002,"stage":"mail","code":250,"enhanced":"2.0.0","text":"OK"},{"t":0.003,"stage":"rcpt","code":250,"enhanced":"2.0.0","text":"OK","attempt":1,"recipient":"r@sink.test"},` +
		`{"t":0.004,"stage":"data","code":354,"text":"Go ahead"},{"t":0.01,"stage":"data-end","code":250,"enhanced":"2.0.0","text":"Message accepted as 1","attempt":1,"recipient":"r@sink.test"},` +
		`{"t":0.011,"stage":"rcpt","code":451,"enhanced":"4.7.1","text":"try later","attempt":1,"recipient":"g@sink.test"},{"t":0.012,"stage":"rset","code":250,"text":"OK"},` +
		`{"t":0.013,"stage":"noop","code":250,"text":"OK"},{"t":0.014,"stage":"quit","code":221,"text":"Bye"}]`
	transcript := strings.Repeat("0.001 S 250-sink.relaylab.test Hello client.test, here is a line of some length\n", 20)
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		for i := 1; i <= n; i++ {
			if _, err := tx.Exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns, messages, transcript, replies) VALUES (?, 'mx', '127.0.0.1:1', ?, ?, 1, ?, ?)`,
				i, int64(i)*1e6, int64(i)*1e6+5e5, transcript, replies); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestCountRepliesMany: each of many sessions' lists is counted once.
func TestCountRepliesMany(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fillSessions(t, st, 500)
	tally, got := replyCounts(t, st)
	if tally.Sessions != 500 || got["connect 220"] != 500 || got["rcpt 451"] != 500 || got["rset 250"] != 500 || len(got) != 10 {
		t.Errorf("sessions %d, counts %v; want 500 of each of 10", tally.Sessions, got)
	}
}

// BenchmarkCountReplies20k counts the replies of 20,000 sessions.
func BenchmarkCountReplies20k(b *testing.B) {
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(b.TempDir(), "s.db"), Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	fillSessions(b, st, 20000)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := CountReplies(context.Background(), st.DB()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/count")
}
