package probe

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestChangedEventCarriesTheChangeID: the probe.changed event names the
// stored change it reports (its id), and the change names the event.
func TestChangedEventCarriesTheChangeID(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	m, _ := listedMonitor(t, st, vc, DefaultConfig(), Options{})
	ctx := context.Background()
	var ch []Change
	for i := 0; i < 2; i++ {
		var err error
		if ch, err = m.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		vc.Advance(time.Hour)
	}
	if len(ch) != 1 || ch[0].ID == 0 {
		t.Fatalf("changes %+v, want one with an id", ch)
	}
	evs, err := st.Events(ctx, events.Filter{Kinds: []string{events.ProbeChanged}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("probe.changed events: %d, %v", len(evs), err)
	}
	var got Change
	if err := json.Unmarshal(evs[0].Payload, &got); err != nil || got.ID != ch[0].ID {
		t.Errorf("event payload %s (%v): id %d, want the change's id %d", evs[0].Payload, err, got.ID, ch[0].ID)
	}
	var evID int64
	if err := st.DB().QueryRow(`SELECT event_id FROM probe_changes WHERE id = ?`, ch[0].ID).Scan(&evID); err != nil || evID != evs[0].ID {
		t.Errorf("probe_changes.event_id = %d (%v), want %d", evID, err, evs[0].ID)
	}
}
