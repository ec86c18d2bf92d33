package sink

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// A client that speaks before a greeting a connect rule holds back (RFC
// 5321 4.3.1 has it wait) is noted before the greeting, and its command
// is still answered; one that waits gets no note.
func TestPregreetNoted(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, func(c *Config) {
		c.Rules = []Rule{{Name: "slow greeting", Stage: "connect", Delay: config.Duration(5 * time.Second)}}
	})
	addr := addrOf(t, s, "mx")

	early := dial(t, addr)
	if err := early.tp.PrintfLine("EHLO early.test"); err != nil {
		t.Fatal(err)
	}
	advanceWhenWaiting(t, v, 5*time.Second)
	if code, msg := early.read(); code != 220 {
		t.Fatalf("greeting: %d %q", code, msg)
	}
	if code, msg := early.read(); code != 250 {
		t.Fatalf("EHLO sent early: %d %q", code, msg)
	}
	early.expect(221, "", "QUIT")
	waitSessions(t, st, 1)

	polite := dial(t, addr)
	advanceWhenWaiting(t, v, 5*time.Second)
	polite.greet()
	polite.expect(221, "", "QUIT")
	waitSessions(t, st, 2)

	const note = "* the client spoke before the greeting: 17 octets were waiting when it was sent"
	for id, want := range map[int64]bool{1: true, 2: false} {
		ss, err := SessionByID(context.Background(), st.DB(), id)
		if err != nil {
			t.Fatal(err)
		}
		i, g := strings.Index(ss.Transcript, note), strings.Index(ss.Transcript, "S 220 ")
		if (i >= 0) != want || want && (g < 0 || i > g) {
			t.Errorf("session %d: want the note %v, before the greeting; transcript:\n%s", id, want, ss.Transcript)
		}
	}
}
