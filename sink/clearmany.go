package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// EventDeleted is the kind of the event that says messages the sink
// stored were deleted (DeleteMessages, one message's DELETE included;
// a prune appends it too); its payload is a deletedPayload. A page that
// lists messages drops them when it reads it, as no other event says
// so: their sink.message events go with them. A clear says so with its
// sink.reset instead.
const EventDeleted = events.SinkDeleted

// deleteBatch is the most messages one transaction of DeleteMessages
// deletes: as a prune's batch, it keeps the one writer's hold short
// beside a sink that goes on recording.
const deleteBatch = 300

// deletedPayload is the payload of a sink.deleted event.
type deletedPayload struct {
	IDs []int64 `json:"ids"`
}

// Deleted is what DeleteMessages did with the messages it was given.
type Deleted struct {
	// Tables are the rows deleted: sink_messages, and events
	// (sink.message), in DeleteSinkMessage's form.
	Tables []store.Pruned
	// IDs are the messages deleted, in the order given.
	IDs []int64
	// Due are the messages kept because a bounce still due quotes them,
	// each with the earliest such bounce's due time: the sink reads the
	// message when it sends the bounce.
	Due map[int64]time.Time
	// Missing are the ids no message had (never stored, or deleted
	// meanwhile), in the order given.
	Missing []int64
}

// DeleteMessages deletes the sink's messages ids and their sink.message
// events, as store.DeleteSinkMessage does one by one, but deleteBatch
// messages a transaction: one transaction each made deleting a search's
// thousand messages take half a minute. Each transaction appends a
// sink.deleted event naming the messages it deleted. It keeps a message
// a bounce still due quotes (Due); the sessions and attempts stay.
func DeleteMessages(ctx context.Context, st *store.Store, ids []int64) (Deleted, error) {
	d := Deleted{Due: map[int64]time.Time{}}
	var msgs, evs int64
	for chunk := range slices.Chunk(ids, deleteBatch) {
		gone, n, err := deleteChunk(ctx, st, chunk, d.Due)
		msgs += int64(len(gone))
		evs += n
		for _, id := range chunk {
			switch _, due := d.Due[id]; {
			case gone[id]:
				d.IDs = append(d.IDs, id)
			case !due:
				d.Missing = append(d.Missing, id)
			}
		}
		if err != nil {
			d.Tables = deletedTables(msgs, evs)
			return d, fmt.Errorf("sink: deleting messages: %w (those deleted before the failure stay deleted)", err)
		}
	}
	d.Tables = deletedTables(msgs, evs)
	return d, nil
}

// deleteChunk deletes the messages ids in one transaction: it returns
// those deleted and how many sink.message events went with them, and
// records in due those a bounce still due keeps.
func deleteChunk(ctx context.Context, st *store.Store, ids []int64, due map[int64]time.Time) (map[int64]bool, int64, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, 0, err
	}
	var gone map[int64]bool
	var evs int64
	kept := map[int64]time.Time{}
	err = st.Write(ctx, func(tx *store.Tx) error {
		gone, evs = map[int64]bool{}, 0
		clear(kept)
		rows, err := tx.Query(`SELECT m.id, (SELECT MIN(b.due_ns) FROM sink_bounces b WHERE b.message = m.id AND b.`+store.PendingBounceSQL+`)
			FROM sink_messages m WHERE m.id IN (SELECT value FROM json_each(?))`, string(list))
		if err != nil {
			return err
		}
		var free []int64
		for rows.Next() {
			var id int64
			var dueNs *int64
			if err := rows.Scan(&id, &dueNs); err != nil {
				rows.Close()
				return err
			}
			if dueNs != nil {
				kept[id] = time.Unix(0, *dueNs).UTC()
				continue
			}
			free = append(free, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(free) == 0 {
			return err
		}
		freeList, _ := json.Marshal(free)
		if _, err := tx.Exec(`DELETE FROM sink_messages WHERE id IN (SELECT value FROM json_each(?))`, string(freeList)); err != nil {
			return err
		}
		res, err := tx.Exec(`DELETE FROM events WHERE kind = ? AND payload ->> '$.id' IN (SELECT value FROM json_each(?))`, events.SinkMessage, string(freeList))
		if err != nil {
			return err
		}
		evs, _ = res.RowsAffected()
		for _, id := range free {
			gone[id] = true
		}
		_, err = tx.Append(events.Event{Kind: EventDeleted}.WithPayload(deletedPayload{IDs: free}))
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	for id, t := range kept {
		due[id] = t
	}
	return gone, evs, nil
}

// deletedTables counts what DeleteMessages deleted as DeleteSinkMessage
// does: the messages, and their sink.message events.
func deletedTables(msgs, evs int64) []store.Pruned {
	return []store.Pruned{{Table: "sink_messages", Rows: msgs}, {Table: "events", Kinds: events.SinkMessage, Rows: evs}}
}

// DeleteMessages deletes messages this sink stored (the package's
// DeleteMessages).
func (s *Sink) DeleteMessages(ctx context.Context, ids []int64) (Deleted, error) {
	return DeleteMessages(ctx, s.store, ids)
}
