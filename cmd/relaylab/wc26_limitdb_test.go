package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/reports/scenario"
)

// TestWC26ClockLimitReportable: `replay --db` of a scenario cut short by
// its clock.limit leaves the replay's record in the store, so that
// `report --db` tells what still waited: the deferred recipient, its
// 451 and when the relay would have tried it again. Before, the store
// was created and left empty ("nothing has been recorded in this store
// yet"), on exactly the run a tester wants to read.
func TestWC26ClockLimitReportable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "cut.db")
	sc := writeScenario(t, filepath.Join(dir, "cut.yaml"), `name: cut short
clock: {limit: 10m}
relay:
  retry: {kind: list, schedule: [1h], max_age: 1d}
messages:
  - {from: app@shop.test, to: ["rcpt451x9+late@example.test"]}
expect:
  recipients:
    - {match: "rcpt451x9+late@example.test", status: delivered}
`)
	ctx := context.Background()
	if code, out, errOut := runIn(t, ctx, "replay", "--quiet", "--db", db, sc); code != 1 {
		t.Fatalf("replay: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := runIn(t, ctx, "report", "--db", db)
	if code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"rcpt451x9+late@example.test (message msg-1", "): deferred", "451 4.7.1", "next attempt: +1h0m0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestWC26SplitNotRecorded: a replay cut short by its clock.limit whose
// record the store then refused returns both errors joined; replay
// parts them, so that the record's failure is told on stderr and the
// clock limit still gives the verdict its note and its not-judged
// expectations (an error of the run would have replaced the verdict).
func TestWC26SplitNotRecorded(t *testing.T) {
	t.Parallel()
	limit := fmt.Errorf("%w: 0 of 1 recipients final", scenario.ErrClockLimit)
	rec := fmt.Errorf("%w x.db: refused", scenario.ErrNotRecorded)
	got, rest := splitNotRecorded(errors.Join(limit, rec))
	if got != rec || rest != limit {
		t.Errorf("split = %v, %v; want %v, %v", got, rest, rec, limit)
	}
	got, rest = splitNotRecorded(rec)
	if got != rec || rest != nil {
		t.Errorf("alone: split = %v, %v; want %v, nil", got, rest, rec)
	}
}
