package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// storeSink is a fake sink whose DeleteMessage deletes the message's row
// from the store, as the real one does, and refuses those in quoted (a
// bounce still due quotes them); it counts the clears.
type storeSink struct {
	*fakeSink
	st     *store.Store
	quoted map[string]bool
	mu     sync.Mutex
	clears int
}

var _ SinkClearAPI = (*storeSink)(nil)

func (c *storeSink) Reset(ctx context.Context) (SinkForgotten, error) { return SinkForgotten{}, nil }

func (c *storeSink) Clear(ctx context.Context) (SinkCleared, error) {
	c.mu.Lock()
	c.clears++
	c.mu.Unlock()
	return SinkCleared{}, c.st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM sink_messages`)
		return err
	})
}

func (c *storeSink) DeleteMessage(ctx context.Context, id string) (SinkDeleted, error) {
	if c.quoted[id] {
		return SinkDeleted{}, fmt.Errorf("%w: sink message %s is quoted by a bounce the sink sends at 2026-03-01T12:00:00Z", ErrConflict, id)
	}
	var n int64
	err := c.st.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM sink_messages WHERE id = ?`, id)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err == nil && n == 0 {
		err = fmt.Errorf("%w: no sink message %s", ErrNotFound, id)
	}
	return SinkDeleted{Messages: n, Events: n}, err
}

// addSinkRaw records in st that the sink stored message id, sent to rcpt,
// as raw.
func addSinkRaw(t testing.TB, st *store.Store, id int64, rcpt, raw string) {
	t.Helper()
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw)
			VALUES (?, 1, 'mx', 0, 'a@shop.test', ?, ?, 1, 250, ?)`, id, rcpt, len(raw), []byte(raw))
		return err
	})
	if err != nil {
		t.Fatalf("add sink message %d: %v", id, err)
	}
}

// heldIDs are the ids of the sink messages st holds, in order.
func heldIDs(t testing.TB, st *store.Store) string {
	t.Helper()
	rows, err := st.DB().Query(`SELECT id FROM sink_messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return strings.Join(ids, ",")
}

// scopedSink is a server over a store with messages 1 to 4 (3 quoted by
// a bounce still due), to bob for 1 and 3, the others to carol.
func scopedSink(t *testing.T) (*testServer, *storeSink) {
	t.Helper()
	st := openStore(t, nil)
	sk := &storeSink{fakeSink: newFakeSink(), st: st, quoted: map[string]bool{"3": true}}
	for i, to := range []string{"bob@shop.test", "carol@shop.test", "bob@shop.test", "carol@shop.test"} {
		addSinkRaw(t, st, int64(i+1), to, fmt.Sprintf("From: a@shop.test\r\nTo: %s\r\nSubject: order %d\r\n\r\nhi\r\n", to, i+1))
	}
	return startServer(t, Options{Sink: sk, Store: st}), sk
}

// TestSinkDeleteScoped: DELETE /api/v1/sink/messages with {"ids": [...]}
// deletes those messages, with {"query": ...} those the search matches;
// any other body is a 400 that says what is wrong, and nothing is
// deleted. The request without a body still clears everything.
func TestSinkDeleteScoped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		code       int
		want       string // in the answer
		held       string // the messages left
	}{
		{"ids", `{"ids":["1","2"]}`, http.StatusOK, `"ids":["1","2"]`, "3,4"},
		{"Mailpit's IDs", `{"IDs":["2"]}`, http.StatusOK, `"ids":["2"]`, "1,3,4"},
		{"an id a bounce quotes", `{"ids":["1","3"]}`, http.StatusConflict, `"kept":[{"id":"3"`, "3,2,4"},
		{"an id not held", `{"ids":["1","9"]}`, http.StatusNotFound, "no sink message 9", "1,2,3,4"},
		{"not an id", `{"ids":["1","x"]}`, http.StatusBadRequest, `ids[1] is not a sink message id`, "1,2,3,4"},
		{"no ids", `{"ids":[]}`, http.StatusOK, `ids is empty: nothing was deleted`, "1,2,3,4"},
		{"query", `{"query":"to:carol@shop.test"}`, http.StatusOK, `"ids":["4","2"]`, "1,3"},
		{"query, a bounce quotes one", `{"query":"to:bob@shop.test"}`, http.StatusOK, `"kept":[{"id":"3"`, "2,3,4"},
		{"query that matches none", `{"query":"subject:nothing"}`, http.StatusOK, `"ids":[]`, "1,2,3,4"},
		{"bad query", `{"query":"frm:x"}`, http.StatusBadRequest, `unknown qualifier`, "1,2,3,4"},
		{"empty query", `{"query":" "}`, http.StatusBadRequest, `query is empty`, "1,2,3,4"},
		{"both", `{"ids":["1"],"query":"x"}`, http.StatusBadRequest, `both ids and query`, "1,2,3,4"},
		{"neither", `{}`, http.StatusBadRequest, `neither ids nor query`, "1,2,3,4"},
		{"an unknown field", `{"id":["1"]}`, http.StatusBadRequest, `unknown field \"id\" in the body`, "1,2,3,4"},
		{"not JSON", `garbage`, http.StatusBadRequest, `not valid JSON`, "1,2,3,4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, sk := scopedSink(t)
			code, _, body := do(t, "DELETE", ts.url+"/api/v1/sink/messages", tc.body, "Content-Type", "application/json")
			held := heldIDs(t, ts.st)
			want := strings.Split(tc.held, ",")
			slices.Sort(want)
			if code != tc.code || !strings.Contains(string(body), tc.want) || held != strings.Join(want, ",") || sk.clears != 0 {
				t.Errorf("DELETE %s: %d %s, left %s, %d clears; want %d with %s, left %s, no clear",
					tc.body, code, body, held, sk.clears, tc.code, tc.want, strings.Join(want, ","))
			}
		})
	}
}

// TestSinkDeleteAllAndBodies: without a body DELETE clears the record, as
// before; POST /api/v1/sink/reset and DELETE /api/v1/sink/messages/{id},
// which take no body, refuse one rather than ignore it.
func TestSinkDeleteAllAndBodies(t *testing.T) {
	t.Parallel()
	ts, sk := scopedSink(t)
	for _, req := range []struct{ method, path string }{
		{"POST", "/api/v1/sink/reset"},
		{"DELETE", "/api/v1/sink/messages/1"},
	} {
		code, _, body := do(t, req.method, ts.url+req.path, "garbage")
		if e := wantAPIError(t, body); code != http.StatusBadRequest || !strings.Contains(e.Error, "takes no body") {
			t.Errorf("%s %s with a body: %d %+v; want 400", req.method, req.path, code, e)
		}
	}
	if held := heldIDs(t, ts.st); held != "1,2,3,4" {
		t.Errorf("after the refused requests the sink holds %s; want 1,2,3,4", held)
	}
	code, _, body := do(t, "DELETE", ts.url+"/api/v1/sink/messages", "")
	var c SinkCleared
	if code != http.StatusOK || json.Unmarshal(body, &c) != nil || sk.clears != 1 || heldIDs(t, ts.st) != "" {
		t.Errorf("DELETE without a body: %d %s, %d clears, left %s; want 200, a clear, nothing left", code, body, sk.clears, heldIDs(t, ts.st))
	}
}

// TestSinkDeleteScopedSpec: the scoped answer's fields are the spec's.
func TestSinkDeleteScopedSpec(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{"SinkMessagesDeleted": SinkMessagesDeleted{}, "SinkKeptMsg": SinkKeptMsg{}} {
		props, ok := specProperties(t, name)
		if !ok {
			t.Errorf("openapi.yaml has no schema %s", name)
			continue
		}
		fields := jsonFields(v)
		for key := range fields {
			if _, ok := props[key]; !ok {
				t.Errorf("%s.%s is not in the spec", name, key)
			}
		}
		for key := range props {
			if _, ok := fields[key]; !ok {
				t.Errorf("the spec's %s.%s is no field", name, key)
			}
		}
	}
}
