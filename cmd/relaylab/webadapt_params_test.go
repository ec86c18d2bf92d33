package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterRefusesBadParameters: a cursor or an id that no session
// or message can have (0, -3) is refused as invalid input like one that
// is not a number, instead of reading as no cursor (the first page) or
// as a missing object (404); a listener= that names no listener says
// which there are, instead of an empty list that passes for no sessions.
func TestSinkAdapterRefusesBadParameters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, _ := runningSinkAdapter(t)
	for _, before := range []string{"abc", "0", "-3"} {
		_, err := a.Sessions(ctx, web.SessionFilter{Before: before, Limit: 10})
		if !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), "before=") {
			t.Errorf("Sessions(before=%s) = %v, want an ErrInvalid naming before", before, err)
		}
	}
	_, err := a.Sessions(ctx, web.SessionFilter{Listener: "nosuch", Limit: 10})
	if !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), `listener="nosuch"`) || !strings.Contains(err.Error(), "the listeners are mx") {
		t.Errorf("Sessions(listener=nosuch) = %v, want an ErrInvalid naming the listener mx", err)
	}
	if l, err := a.Sessions(ctx, web.SessionFilter{Listener: "mx", Limit: 10}); err != nil || len(l) != 0 {
		t.Errorf("Sessions(listener=mx) = %v, %v; want none, without an error", l, err)
	}
	for _, id := range []string{"abc", "0", "-1"} {
		if _, err := a.Session(ctx, id); !errors.Is(err, web.ErrInvalid) {
			t.Errorf("Session(%s) = %v, want an ErrInvalid", id, err)
		}
		if _, err := a.Message(ctx, id); !errors.Is(err, web.ErrInvalid) {
			t.Errorf("Message(%s) = %v, want an ErrInvalid", id, err)
		}
		if _, err := a.Raw(ctx, id); !errors.Is(err, web.ErrInvalid) {
			t.Errorf("Raw(%s) = %v, want an ErrInvalid", id, err)
		}
	}
	if _, err := a.Session(ctx, "99"); !errors.Is(err, web.ErrNotFound) {
		t.Errorf("Session(99) = %v, want an ErrNotFound", err)
	}
}
