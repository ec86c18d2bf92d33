package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// batchSink is a storeSink that deletes many messages in one store
// transaction too, counting the calls of each way.
type batchSink struct {
	*storeSink
	one, many atomic.Int64
}

var _ SinkBatchDeleteAPI = (*batchSink)(nil)

func (c *batchSink) DeleteMessage(ctx context.Context, id string) (SinkDeleted, error) {
	c.one.Add(1)
	return c.storeSink.DeleteMessage(ctx, id)
}

func (c *batchSink) DeleteMessages(ctx context.Context, ids []int64) (SinkBatchDeleted, error) {
	c.many.Add(1)
	res := SinkBatchDeleted{Kept: map[int64]error{}}
	err := c.st.Write(ctx, func(tx *store.Tx) error {
		for _, n := range ids {
			id := strconv.FormatInt(n, 10)
			if c.quoted[id] {
				res.Kept[n] = fmt.Errorf("%w: sink message %s is quoted by a bounce the sink sends at 2026-03-01T12:00:00Z", ErrConflict, id)
				continue
			}
			r, err := tx.Exec(`DELETE FROM sink_messages WHERE id = ?`, n)
			if err != nil {
				return err
			}
			if k, _ := r.RowsAffected(); k == 0 {
				res.Kept[n] = fmt.Errorf("%w: no sink message %s", ErrNotFound, id)
				continue
			}
			res.IDs = append(res.IDs, n)
			res.Deleted.Messages++
		}
		return nil
	})
	return res, err
}

// TestSinkDeleteFoundInBatches: a scoped delete goes to the sink's batch
// delete in one call, not one DeleteMessage (one store transaction) a
// message, which made deleting a search's 1,111 messages take 35 s; what
// is kept, and why, is listed in the order matched, as before.
func TestSinkDeleteFoundInBatches(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	sk := &batchSink{storeSink: &storeSink{fakeSink: newFakeSink(), st: st, quoted: map[string]bool{"30": true}}}
	for id := int64(1); id <= 1200; id++ {
		to := "carol@shop.test"
		if id%10 != 0 {
			to = "bob@shop.test"
		}
		addSinkRaw(t, st, id, to, fmt.Sprintf("From: a@shop.test\r\nTo: %s\r\nSubject: order %d\r\n\r\nhi\r\n", to, id))
	}
	ts := startServer(t, Options{Sink: sk, Store: st})

	code, _, body := do(t, "DELETE", ts.url+"/api/v1/sink/messages", `{"query":"to:bob@shop.test"}`, "Content-Type", "application/json")
	var got SinkMessagesDeleted
	if code != http.StatusOK || json.Unmarshal(body, &got) != nil {
		t.Fatalf("DELETE by query: %d %s", code, body)
	}
	if one, many := sk.one.Load(), sk.many.Load(); one != 0 || many != 1 {
		t.Errorf("%d DeleteMessage and %d DeleteMessages calls; want 0 and 1", one, many)
	}
	if got.Matched != 1080 || len(got.IDs) != 1080 || got.Deleted.Messages != 1080 || len(got.Kept) != 0 {
		t.Errorf("matched %d, deleted %d (%d rows), kept %v; want 1080, all", got.Matched, len(got.IDs), got.Deleted.Messages, got.Kept)
	}
	if n := strings.Count(heldIDs(t, st), ",") + 1; n != 120 {
		t.Errorf("%d messages left; want carol's 120", n)
	}

	code, _, body = do(t, "DELETE", ts.url+"/api/v1/sink/messages", `{"ids":["20","30","40"]}`, "Content-Type", "application/json")
	got = SinkMessagesDeleted{}
	if code != http.StatusConflict || json.Unmarshal(body, &got) != nil {
		t.Fatalf("DELETE 20, 30 and 40: %d %s; want 409 for 30", code, body)
	}
	if strings.Join(got.IDs, ",") != "20,40" || len(got.Kept) != 1 || got.Kept[0].ID != "30" || !strings.HasPrefix(got.Kept[0].Reason, "sink message 30 is quoted") {
		t.Errorf("deleted %v, kept %+v; want 20 and 40, 30 kept as a bounce quotes it", got.IDs, got.Kept)
	}
	if one := sk.one.Load(); one != 0 {
		t.Errorf("%d DeleteMessage calls; want none", one)
	}
}
