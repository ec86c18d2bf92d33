package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/web"
)

// TestRelayAdapterDeleteInFlight: the web API's delete of a message a
// relay is attempting is a 409 (web.ErrConflict) naming the recipient,
// not a 500 (walk M: "deleting the message failed" with the relay's
// refusal as its detail).
func TestRelayAdapterDeleteInFlight(t *testing.T) {
	t.Parallel()
	db, id := queueStore(t, relay.StateInflight)
	st, _ := openTestRelay(t, db)
	defer st.Close()
	rl, err := relay.New(relay.DefaultConfig(), relay.Options{Store: st, Logger: slog.New(slog.DiscardHandler), SharedQueue: true})
	if err != nil {
		t.Fatal(err)
	}
	err = relayAdapter{rl: rl}.Delete(context.Background(), id)
	if !errors.Is(err, web.ErrConflict) || !strings.Contains(err.Error(), "b@r.test") {
		t.Errorf("Delete in flight: %v, want a web.ErrConflict naming the recipient", err)
	}
}

// TestRelayAdapterEnqueueStoreRefused: a message the store refuses is a
// 503 (web.ErrUnavailable), for the client to send again, where it was a
// 400 "invalid input" that blamed the message (walk O, on a full disk);
// a message the relay refuses for what it is stays a 400.
func TestRelayAdapterEnqueueStoreRefused(t *testing.T) {
	t.Parallel()
	db, _ := queueStore(t, relay.StateQueued)
	st, rl := openTestRelay(t, db)
	a := relayAdapter{rl: rl}
	if _, err := a.Enqueue(context.Background(), web.EnqueueRequest{From: "a@s.test", To: []string{"b\x01c@r.test"}, Subject: "x", Text: "y"}); !errors.Is(err, web.ErrInvalid) {
		t.Errorf("Enqueue of an address with a control character: %v, want web.ErrInvalid", err)
	}
	st.Close() // the store refuses every write from now on
	_, err := a.Enqueue(context.Background(), web.EnqueueRequest{From: "a@s.test", To: []string{"b@r.test"}, Subject: "x", Text: "y"})
	if !errors.Is(err, web.ErrUnavailable) || errors.Is(err, web.ErrInvalid) {
		t.Errorf("Enqueue on a store that refuses writes: %v, want web.ErrUnavailable", err)
	}
}
