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

// TestRelayAdapterEnqueueJudgesTheCaller: with relay.allowed_networks
// [127.0.0.1/32] and no web.token, a caller at 127.0.0.2 is refused (403)
// as the submission port refuses it (530), and one at 127.0.0.1 is not;
// the API judged by its own listen address and let 127.0.0.2 queue mail
// (walk M). With web.token set, callers are authenticated: no check.
func TestRelayAdapterEnqueueJudgesTheCaller(t *testing.T) {
	t.Parallel()
	db, _ := queueStore(t, relay.StateQueued)
	st, rl := openTestRelay(t, db)
	defer st.Close()
	cfg := &fileConfig{}
	cfg.Relay.AllowedNetworks = []string{"127.0.0.1/32"}
	a := relayAdapter{rl: rl, nets: apiClientNets(cfg)}
	msg := web.EnqueueRequest{From: "a@s.test", To: []string{"b@r.test"}, Subject: "x", Text: "y"}
	msg.Client = "127.0.0.2:40000"
	if _, err := a.Enqueue(context.Background(), msg); !errors.Is(err, web.ErrForbidden) || !strings.Contains(err.Error(), "127.0.0.2") {
		t.Errorf("a caller outside allowed_networks: %v, want web.ErrForbidden naming it", err)
	}
	msg.Client = "127.0.0.1:40000"
	if _, err := a.Enqueue(context.Background(), msg); err != nil {
		t.Errorf("a caller inside allowed_networks: %v", err)
	}
	cfg.Web.Token = "0123456789abcdef0123"
	if nets := apiClientNets(cfg); nets != nil {
		t.Errorf("with web.token: nets %v, want no check", nets)
	}
}
