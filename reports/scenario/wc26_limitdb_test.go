package scenario

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// TestWC26ClockLimitKeepsRecord: a replay that reaches its clock.limit
// with recipients not final still adds its record to Options.DB. That
// is the run a tester most wants to read with relaylab report (what was
// still waiting, and why); before, the store was created and left with
// no event at all, so the report said nothing had been recorded.
func TestWC26ClockLimitKeepsRecord(t *testing.T) {
	t.Parallel()
	const yaml = `name: limited
clock: {limit: 3m}
relay:
  retry: {kind: list, schedule: [30m], max_age: 1d}
messages:
  - {from: a@shop.test, to: ["data421+one@rest.test"]}
expect:
  recipients:
    - {match: "data421+one@rest.test", status: delivered}
`
	sc, err := Parse("limited.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "kept.db")
	ctx := context.Background()
	out, err := Run(ctx, sc, Options{DB: db})
	if !errors.Is(err, ErrClockLimit) || out == nil {
		t.Fatalf("Run = %v, want ErrClockLimit with an outcome", err)
	}
	st, err := store.Open(ctx, store.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var attempts int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM events WHERE kind = 'relay.attempt'`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 {
		t.Errorf("the store holds %d relay.attempt events after a replay cut short by its clock.limit, want 1 (the 421)", attempts)
	}
}
