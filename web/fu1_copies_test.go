package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestInboxCopiesByRecipient: only copies whose recipients overlap are
// one message delivered again. A relay's fan-out (one Message-ID, one
// sender, a session per domain) and an .eml fixture sent to one address
// and then another were marked "copy 2 of 2 ... delivered it again",
// because the copies were told apart by Message-ID and sender alone. A
// second delivery to the same recipient (any case) still is one, and so
// is a retry to some of the first copy's recipients, which names them.
func TestInboxCopiesByRecipient(t *testing.T) {
	t.Parallel()
	st := openStore(t, clock.Real{})
	add := func(id int64, msgID string, rcpts ...string) { addCopyTo(t, st, id, "app@shop.test", msgID, rcpts...) }
	add(1, "fan@shop.test", "a@one.test")    // the relay's fan-out: a session a domain
	add(2, "fan@shop.test", "b@two.test")    //
	add(3, "fix@shop.test", "qa1@test.test") // a fixture sent again, to another address
	add(4, "fix@shop.test", "qa2@test.test") //
	add(5, "drop@shop.test", "x@s.test")     // a drop after the dot, then the same again
	add(6, "drop@shop.test", "X@S.test")     //
	add(7, "part@shop.test", "p@s.test", "q@s.test")
	add(8, "part@shop.test", "P@s.test")   // a retry to one of the two
	add(9, "part@shop.test", "r@s.test")   // the same fixture to someone else
	add(10, "fan@shop.test", "b@two.test") // and the fan-out's second domain again
	sink := newFakeSink()
	sink.msgs["8"] = MessageDetail{ID: "8", From: "app@shop.test"}
	ts := startServer(t, Options{Store: st, Sink: sink})

	var page struct {
		Messages []struct {
			ID   string          `json:"id"`
			Copy json.RawMessage `json:"copy"`
		} `json:"messages"`
	}
	getJSON(t, ts.url+"/api/v1/sink/messages", &page)
	got := map[string]string{}
	for _, m := range page.Messages {
		if len(m.Copy) > 0 && string(m.Copy) != "null" {
			got[m.ID] = string(m.Copy)
		}
	}
	want := map[string]string{
		"2":  `{"n":1,"of":2,"message_id":"fan@shop.test"}`,
		"10": `{"n":2,"of":2,"message_id":"fan@shop.test"}`,
		"5":  `{"n":1,"of":2,"message_id":"drop@shop.test"}`,
		"6":  `{"n":2,"of":2,"message_id":"drop@shop.test"}`,
		"7":  `{"n":1,"of":2,"message_id":"part@shop.test","again":["p@s.test"]}`,
		"8":  `{"n":2,"of":2,"message_id":"part@shop.test","again":["P@s.test"]}`,
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("message %s: copy %s, want %s", id, orNone(got[id]), w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("message %s is marked %s: its recipients overlap no other copy's, so it is not a delivery again (fan-out, or a fixture sent to another address)", id, g)
		}
	}

	// The message's own page says the same.
	_, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages/8", "")
	var d struct {
		Copy json.RawMessage `json:"copy"`
	}
	if err := json.Unmarshal(body, &d); err != nil || string(d.Copy) != want["8"] {
		t.Errorf("message 8's page: copy %s (%v), want %s", d.Copy, err, want["8"])
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// addCopyTo stores sink message id from a sender to rcpts under a
// Message-ID, with its sink.message event, as the sink records one.
func addCopyTo(t testing.TB, st *store.Store, id int64, from, msgID string, rcpts ...string) {
	t.Helper()
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, message_id, code, raw)
			VALUES (?, ?, 'mx', 0, ?, ?, 1, 1, ?, 250, x'41')`, id, id, from, strings.Join(rcpts, "\n"), msgID); err != nil {
			return err
		}
		_, err := tx.Append(events.Event{Kind: events.SinkMessage, Message: msgID, Listener: "mx"}.WithPayload(map[string]any{"id": id, "from": from}))
		return err
	}); err != nil {
		t.Fatal(fmt.Errorf("add sink message %d: %w", id, err))
	}
}
