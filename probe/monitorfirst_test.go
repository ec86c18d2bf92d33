package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestMonitorFirstListingIsNoChange: an IP listed from its first check is
// reported once confirmed, as a first check with no old value, not as a
// change from "not-listed" that no run saw; a first-sight listing gone
// before it was confirmed is no delisting.
func TestMonitorFirstListingIsNoChange(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/blocklists.zone")
	if err := srv.AddString("20.2.0.127.good.bl.test. 60 IN A 127.0.0.2"); err != nil {
		t.Fatal(err)
	}
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.IPs = IPs("127.0.2.20", "127.0.2.21")
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := func() []Change {
		t.Helper()
		ch, err := m.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vc.Advance(time.Hour)
		return ch
	}
	// 127.0.2.21 is listed at its first check only.
	if err := srv.AddString("21.2.0.127.good.bl.test. 60 IN A 127.0.0.2"); err != nil {
		t.Fatal(err)
	}
	if ch := run(); len(ch) != 0 {
		t.Fatalf("first check: changes %+v, want none before confirmation", ch)
	}
	srv.Remove("21.2.0.127.good.bl.test.", dns.TypeANY)
	ch := run()
	if len(ch) != 1 || ch[0].Kind != ChangeListed || ch[0].Old != "" || !ch[0].First || ch[0].New != "listed 127.0.0.2" || ch[0].Target != "127.0.2.20" {
		t.Fatalf("second check: changes %+v, want one listing of 127.0.2.20 with no old value, marked first", ch)
	}
	for i := 0; i < 2; i++ {
		if ch := run(); len(ch) != 0 {
			t.Fatalf("later check %d: changes %+v, want none (127.0.2.21 was never reported listed)", i, ch)
		}
	}
	// The event and the stored history say the same.
	var payload string
	if err := st.DB().QueryRow(`SELECT payload FROM events WHERE kind = ? ORDER BY id LIMIT 1`, events.ProbeChanged).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var got Change
	if err := json.Unmarshal([]byte(payload), &got); err != nil || got.Old != "" || !got.First || got.Kind != ChangeListed {
		t.Errorf("probe.changed payload %s (%v), want old \"\", first true, kind listed", payload, err)
	}
	hist, err := ChangeHistory(ctx, st.DB(), "", 0)
	if err != nil || len(hist) != 1 || !hist[0].First || hist[0].Old != "" {
		t.Errorf("change history %+v (%v), want the one first listing", hist, err)
	}
}
