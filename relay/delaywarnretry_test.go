package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestDelayWarningRetriedAfterFailedWrite: when writing a delay warning
// fails (here a trigger refuses the relay.dsn event), the warning is tried
// again a minute later, instead of the scan being taken as done with the
// due recipient left out of the next wake-up, so that its warning waited
// for the next deferral (the 3h retry) or a restart.
func TestDelayWarningRetriedAfterFailedWrite(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try again later") }
	})
	cfg := testConfig(mta.addr)
	cfg.Retry = RetryConfig{Kind: "list", Schedule: []config.Duration{dur(3 * time.Hour)}, MaxAge: dur(20 * time.Hour)}
	cfg.DSN.DelayWarning = dur(time.Hour)
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("alice@s.test", "slow@r.test")
	dsns := func() []events.Event { return h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}}) }
	h.runUntil("the deferral", h.deferrals(id, 1))
	ddl := func(sql string) {
		t.Helper()
		if err := h.store.Write(context.Background(), func(tx *store.Tx) error { _, err := tx.Exec(sql); return err }); err != nil {
			t.Fatal(err)
		}
	}
	ddl(`CREATE TRIGGER no_dsn BEFORE INSERT ON events WHEN NEW.kind = '` + events.RelayDSN + `' BEGIN SELECT RAISE(ABORT, 'the test refuses DSNs'); END`)
	h.runUntil("the warning's time", func() bool { return !h.v.Now().Before(epoch.Add(time.Hour)) })
	if got := dsns(); len(got) != 0 {
		t.Fatalf("DSNs %v while the store refused them", got)
	}
	ddl(`DROP TRIGGER no_dsn`)
	h.runUntil("a delay warning", func() bool { return len(dsns()) > 0 })
	d := dsns()[0]
	if at := d.Time.Sub(epoch); at != time.Hour+time.Minute || !strings.Contains(string(d.Payload), `"delayed"`) {
		t.Errorf("DSN %s at %v, want the delay warning tried again at 1h1m, a minute after the write failed", d.Payload, at)
	}
}
