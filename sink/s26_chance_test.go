package sink

import (
	"fmt"
	"net/netip"
	"testing"
)

// TestChanceIgnoresTheMessagesTransactionCount: a draw depends on the
// seed, the decision, the stage, the client, sender and recipient and the
// attempt of that pair, not on how many transactions of the same
// Message-ID came before: a message to two domains makes two
// transactions at one virtual instant, counted 1 and 2 in whichever
// order they arrive, and a replay's draws (a 50% drop after the dot)
// changed from run to run with that order.
func TestChanceIgnoresTheMessagesTransactionCount(t *testing.T) {
	t.Parallel()
	s := &Sink{seed: 1}
	differ := 0
	for i := range 200 {
		a := &input{stage: StageDataEnd, client: netip.MustParseAddr("127.0.0.1"), sender: "app@example.test",
			rcpt: fmt.Sprintf("r%d@example.test", i), attempt: 1, msgAttempt: 1}
		b := *a
		b.msgAttempt = 2
		if s.chance(0.5, a, "dotdrop") != s.chance(0.5, &b, "dotdrop") {
			differ++
		}
	}
	if differ != 0 {
		t.Errorf("%d of 200 draws changed with the Message-ID's transaction count alone", differ)
	}
	// The attempt of the pair still gives a retry a draw of its own.
	same := 0
	for i := range 200 {
		a := &input{stage: StageDataEnd, client: netip.MustParseAddr("127.0.0.1"), sender: "app@example.test",
			rcpt: fmt.Sprintf("r%d@example.test", i), attempt: 1}
		b := *a
		b.attempt = 2
		if s.chance(0.5, a, "dotdrop") == s.chance(0.5, &b, "dotdrop") {
			same++
		}
	}
	if same < 60 || same > 140 {
		t.Errorf("a retry met the same draw in %d of 200 pairs; want about half", same)
	}
}
