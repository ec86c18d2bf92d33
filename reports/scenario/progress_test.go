package scenario

import (
	"context"
	"testing"
	"time"
)

// The progress counts the scenario's own recipients only: the sink's
// late bounce, relayed on to the message's sender, is not one of them.
func TestProgressCountsOnlyTheScenariosRecipients(t *testing.T) {
	t.Parallel()
	sc, err := Parse("late.yaml", []byte("name: late\nmessages:\n  - {from: a@shop.test, to: [\"bounce5m+d@example.test\"]}\n"+
		"expect:\n  recipients:\n    - {match: \"bounce5m*\", status: bounced}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var worst, lastFinal, lastTotal int
	out, err := Run(context.Background(), sc, Options{Progress: func(final, total int, _ time.Duration) {
		worst = max(worst, final-total)
		lastFinal, lastTotal = final, total
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Passed() {
		t.Fatalf("%+v", out.Results)
	}
	if worst > 0 || lastFinal != 1 || lastTotal != 1 {
		t.Errorf("progress went %d above its total, ended %d/%d; want 1/1", worst, lastFinal, lastTotal)
	}
}
