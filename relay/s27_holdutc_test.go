package relay

import (
	"context"
	"testing"
	"time"
)

// TestS27HoldsInUTC: a sending window in a route's time zone holds a
// recipient until its opening, which Holds gives in UTC, as every other
// time queue retry prints beside it ("held until ...+01:00" stood next
// to "opens at ...Z" on one line).
func TestS27HoldsInUTC(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	// 12:00 UTC is 13:00 in Paris on the first of March: the window
	// opens at 13:00 UTC.
	cfg.Routes[0].Windows, cfg.Routes[0].Timezone = []string{"14:00-15:00"}, "Europe/Paris"
	cfg.Retry.MaxAge = dur(24 * time.Hour)
	h, id := windowHeld(t, cfg)
	r := cliRelay(t, h, cfg)
	held, err := r.Holds(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := epoch.Add(time.Hour)
	if len(held) != 1 || !held[0].Until.Equal(want) || held[0].Until.Location() != time.UTC {
		t.Fatalf("Holds = %+v, want b@r.test held until %s, in UTC", held, want)
	}
}
