package main

import (
	"strconv"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// TestSessionListCapsMessageIDs: the list of sessions carries the first
// 100 ids of a session's messages, oldest first, and its total when it
// left more (session 7 of faSessions left 1,100); a session with fewer
// has all of its ids and no total. Before, each listed session carried
// every id, tens of thousands for a client that looped MAIL, RCPT and DATA.
func TestSessionListCapsMessageIDs(t *testing.T) {
	t.Parallel()
	st := faSessions(t)
	var list struct {
		Sessions []web.SinkSession `json:"sessions"`
	}
	if code, body := faGet(t, faServe(t, st)+"/api/v1/sink/sessions", &list); code != 200 {
		t.Fatalf("GET the list: %d %s", code, body)
	}
	seen := false
	for _, s := range list.Sessions {
		if s.ID != "7" {
			if s.MessagesTotal != nil {
				t.Errorf("session %s: messages_total %d, want none", s.ID, *s.MessagesTotal)
			}
			continue
		}
		seen = true
		if len(s.Messages) != listMessageIDs || s.MessagesTotal == nil || *s.MessagesTotal != 1100 {
			t.Fatalf("session 7: %d ids, total %v; want %d and 1100", len(s.Messages), s.MessagesTotal, listMessageIDs)
		}
		for i := 1; i < len(s.Messages); i++ {
			a, _ := strconv.Atoi(s.Messages[i-1])
			b, _ := strconv.Atoi(s.Messages[i])
			if a >= b {
				t.Fatalf("session 7's ids are not oldest first: %v", s.Messages)
			}
		}
	}
	if !seen {
		t.Fatal("session 7 is not in the list")
	}
}
