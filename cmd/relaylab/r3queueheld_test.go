package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/web"
)

// TestR3QueueHeldNeverAnswered: a recipient the relay's shaping held
// before any server answered has no last reply in the web API's queue (it
// was the hold, stage shaping, as if a server had said it), its hold under
// hold, and no host; queue list still says "none yet [held by shaping:
// ...]". One a server answered before the hold keeps that reply.
func TestR3QueueHeldNeverAnswered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "q.db")
	st, rl := openTestRelay(t, db)
	id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"),
		Recipients: []relay.Recipient{{Address: "new@r.test"}, {Address: "old@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	const hold = "not tried: destination path:p rests until 2030-01-01T00:00:00Z after 421 4.7.0 slow down"
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_recipients SET state = 'deferred', due_ns = ?, path = 'p', host = '127.0.0.1:44026', hold = ?,
			category = 'destination-backoff', reason = 'the destination rests',
			attempts = CASE address WHEN 'old@r.test' THEN 1 ELSE 0 END,
			code = CASE address WHEN 'old@r.test' THEN 451 ELSE 0 END,
			reply = CASE address WHEN 'old@r.test' THEN 'try later' ELSE '' END WHERE message_id = ?`,
			time.Now().Add(time.Hour).UnixNano(), hold, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	q, err := relayAdapter{rl: rl}.Queue(ctx, web.QueueFilter{})
	if err != nil || len(q) != 1 || len(q[0].Waiting) != 2 {
		t.Fatalf("Queue = %+v, %v; want one message with two waiting", q, err)
	}
	for _, w := range q[0].Waiting {
		if w.Hold != hold {
			t.Errorf("%s: hold %q, want %q", w.Address, w.Hold, hold)
		}
		switch w.Address {
		case "new@r.test":
			if w.LastReply != (web.QueueReply{}) || w.Host != "" {
				t.Errorf("never answered: last reply %+v, host %q; want none (the hold is apart)", w.LastReply, w.Host)
			}
		case "old@r.test":
			if w.LastReply.Code != 451 || w.LastReply.Text != "try later" || w.Host == "" {
				t.Errorf("answered, then held: last reply %+v, host %q; want the 451 and its host", w.LastReply, w.Host)
			}
		}
	}
	if strings.Contains(q[0].LastReply, "not tried") {
		t.Errorf("the message's last reply %q is the hold", q[0].LastReply)
	}
	st.Close()
	code, out, errOut := runIn(t, ctx, "queue", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "none yet [held by shaping: "+hold+"]") || !strings.Contains(out, "451 try later [held by shaping]") {
		t.Errorf("queue list: exit %d\n%s\n%s", code, out, errOut)
	}
}
