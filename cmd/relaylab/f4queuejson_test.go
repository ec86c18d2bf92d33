package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

// TestQueueJSONHoldIsNoReply: queue show --json and queue list --json give
// a recipient that shaping held before any server answered no "reply",
// and the hold under "hold" alone; a recipient a server answered before
// the hold keeps that reply. Both printed the hold's text as "reply" too,
// as if an upstream had answered it.
func TestQueueJSONHoldIsNoReply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	hold := "not tried: destination path:sink rests until 2026-11-28T18:00:00Z after 421 4.7.0 to r1@yahoo.test (message m2)"
	for _, tc := range []struct {
		name, set string
		reply     string // want "reply.text", "" for no "reply" at all
	}{
		{"held before any reply", `attempts = 0, code = 0, enhanced = '', reply = ''`, ""},
		{"answered, then held", `attempts = 1, code = 451, enhanced = '4.7.1', reply = 'Deferred on request'`, "Deferred on request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, id := queueStore(t, relay.StateQueued)
			st, _ := openTestRelay(t, db)
			if err := st.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, path = 'sink', `+tc.set+`, hold = ?,
					category = 'destination-backoff', reason = 'the destination rests' WHERE message_id = ?`,
					relay.StateDeferred, time.Now().Add(time.Hour).UnixNano(), hold, id)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			st.Close()
			check := func(verb string, rc map[string]json.RawMessage) {
				t.Helper()
				var h relay.Reply
				if err := json.Unmarshal(rc["hold"], &h); err != nil || h.Text != hold || h.Stage != "shaping" {
					t.Errorf("queue %s --json: hold %s (%v); want stage shaping, text %q", verb, rc["hold"], err, hold)
				}
				raw, has := rc["reply"]
				switch {
				case tc.reply == "" && has:
					t.Errorf("queue %s --json: reply %s; want none: no server has answered, the hold is under \"hold\"", verb, raw)
				case tc.reply != "":
					var r relay.Reply
					if err := json.Unmarshal(raw, &r); err != nil || r.Text != tc.reply {
						t.Errorf("queue %s --json: reply %s (%v); want the server's %q", verb, raw, err, tc.reply)
					}
				}
			}
			type message struct {
				Recipients []map[string]json.RawMessage `json:"recipients"`
			}
			code, out, errOut := runIn(t, ctx, "queue", "show", id, "--db", db, "--json")
			var m message
			if err := json.Unmarshal([]byte(out), &m); code != 0 || err != nil || len(m.Recipients) != 1 {
				t.Fatalf("queue show --json: exit %d, %v\nstdout %s\nstderr %s", code, err, out, errOut)
			}
			check("show", m.Recipients[0])
			code, out, errOut = runIn(t, ctx, "queue", "list", "--db", db, "--json")
			var list []message
			if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 || len(list[0].Recipients) != 1 {
				t.Fatalf("queue list --json: exit %d, %v\nstdout %s\nstderr %s", code, err, out, errOut)
			}
			check("list", list[0].Recipients[0])
		})
	}
}
