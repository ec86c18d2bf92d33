package web

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// TestInboxCopies: a message the sink holds more than once from one
// sender (its Message-ID; a sender delivers again after a drop after
// the dot) is marked in the Inbox and on its page, which copy of how
// many, across pages; another sender's message of the same Message-ID,
// a message without one and a single copy are not; a copy deleted is
// not counted. They were listed without a mark.
func TestInboxCopies(t *testing.T) {
	t.Parallel()
	st := openStore(t, clock.Real{})
	add := func(id int64, from, msgID string) { addCopy(t, st, id, from, msgID) }
	add(1, "x@s.test", "a@s.test")
	add(2, "x@s.test", "b@s.test")
	add(3, "x@s.test", "a@s.test")
	add(4, "y@s.test", "a@s.test")
	add(5, "X@S.test", "a@s.test")
	add(6, "x@s.test", "")
	sink := newFakeSink()
	sink.msgs["5"] = MessageDetail{ID: "5", From: "X@S.test"}
	ts := startServer(t, Options{Store: st, Sink: sink})
	marks := func(url string) map[string]string {
		t.Helper()
		var p InboxPage
		getJSON(t, ts.url+url, &p)
		out := map[string]string{}
		for _, m := range p.Messages {
			if m.Copy != nil {
				out[m.ID] = fmt.Sprintf("%d/%d %s", m.Copy.N, m.Copy.Of, m.Copy.MessageID)
			}
		}
		return out
	}
	got := marks("/api/v1/sink/messages")
	want := map[string]string{"1": "1/3 a@s.test", "3": "2/3 a@s.test", "5": "3/3 a@s.test"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the Inbox marks %v, want %v", got, want)
	}
	if got := marks("/api/v1/sink/messages?limit=2"); fmt.Sprint(got) != fmt.Sprint(map[string]string{"5": "3/3 a@s.test"}) {
		t.Errorf("a page of the newest two marks %v, want 5 as copy 3 of 3", got)
	}
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM sink_messages WHERE id = 3`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages/5", "")
	var d struct {
		Copy *MessageCopy `json:"copy"`
	}
	if err := json.Unmarshal(body, &d); err != nil || d.Copy == nil || *d.Copy != (MessageCopy{N: 2, Of: 2, MessageID: "a@s.test"}) {
		t.Errorf("message 5's page after copy 3's delete: %s; want copy 2 of 2", body)
	}
}

// addCopy stores sink message id from a sender under a Message-ID, with
// its sink.message event, as the sink records one.
func addCopy(t testing.TB, st *store.Store, id int64, from, msgID string) {
	t.Helper()
	addCopyTo(t, st, id, from, msgID, "b@example.test")
}
