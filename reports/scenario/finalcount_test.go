package scenario

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestFinalCountManyMessages: the count of final recipients, which the
// replay asks for until every one is final, works for more messages than
// SQLite takes variables (32,766): a replay of 33,000 messages failed
// with "too many SQL variables" after it had sent them all.
func TestFinalCountManyMessages(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Sync: store.SyncOff,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const n = 40000
	subs := make([]*submission, n)
	err = st.Write(context.Background(), func(tx *store.Tx) error {
		for i := range subs {
			subs[i] = &submission{seq: i + 1, id: fmt.Sprintf("m%d", i)}
			if i%2 == 1 {
				continue // not final yet
			}
			if _, err := tx.Append(events.Event{Kind: events.RelayDelivered, Message: subs[i].id, Recipient: "u@example.test"}); err != nil {
				return err
			}
		}
		// Another message's event, which is not the scenario's.
		_, err := tx.Append(events.Event{Kind: events.RelayDelivered, Message: "other", Recipient: "u@example.test"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	d := &driver{st: st}
	got, err := d.finalCount(context.Background(), subs)
	if err != nil || got != n/2 {
		t.Errorf("finalCount of %d messages: %d, %v; want %d", n, got, err, n/2)
	}
}
