package web

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// hubBatch is how many events the hub reads from SQLite at a time.
const hubBatch = 1000

// encoded is one event and its JSON, encoded once for every client.
type encoded struct {
	id   int64
	data []byte
}

// batch is the events of one fan-out that match one client. Clients
// without a filter share one batch and its frame, built once.
type batch struct {
	items []encoded
	// frame is the JSON array of all items as a websocket message, framed
	// once for every client that takes the whole batch; nil otherwise.
	frame *websocket.PreparedMessage
}

// streamClient is one websocket follower as the hub sees it.
type streamClient struct {
	filter  events.Filter
	all     bool // no filter: takes the shared batch
	send    chan *batch
	pending []encoded // owned by the hub during a fan-out
	// quit is closed by the hub when it drops the client (too slow) or
	// stops; reason says which, and is written before the close.
	quit   chan struct{}
	reason string
}

type registration struct {
	c   *streamClient
	pos chan int64 // the hub's position: the client gets every event after it
}

// hub follows the event log and fans each new event out to the clients whose
// filter it matches. One goroutine (run) owns the client set; clients come
// and go through channels, and a client whose buffer is full is dropped
// rather than waited on: it reconnects with the last id it saw.
type hub struct {
	store *store.Store
	// replaced, when set, stands in a test for the file's id sequence:
	// true as for a reader on another file (deletedUpTo).
	replaced func() bool
	log      *slog.Logger
	clock    clock.Clock
	observe  func(events.Event)
	explain  *replyExplainer // explains the sink's replies in what it sends

	register   chan registration
	unregister chan *streamClient
	done       chan struct{} // closed when run returns
	running    atomic.Bool
	pos        atomic.Int64 // last event id fanned out, for readiness

	clients map[*streamClient]struct{} // owned by run
	now     chan struct{}              // always closed: "there is more to read"
}

func newHub(s *store.Store, log *slog.Logger, c clock.Clock, observe func(events.Event)) *hub {
	h := &hub{
		store: s, log: log, clock: c, observe: observe,
		register:   make(chan registration),
		unregister: make(chan *streamClient, 64),
		done:       make(chan struct{}),
		clients:    make(map[*streamClient]struct{}),
		now:        make(chan struct{}),
	}
	close(h.now)
	return h
}

// run follows the log until ctx ends, then drops every client.
func (h *hub) run(ctx context.Context) {
	if h.begin() {
		h.loop(ctx)
	}
}

// begin marks the hub running, so that streams are accepted from now on; it
// reports false if the hub was already started.
func (h *hub) begin() bool {
	if !h.running.CompareAndSwap(false, true) {
		h.log.Error("web: the event stream hub was started twice")
		return false
	}
	return true
}

func (h *hub) loop(ctx context.Context) {
	defer close(h.done)
	defer h.dropAll("server shutting down")
	pos, _ := h.store.Changes()
	h.pos.Store(pos)
	following := true
	var retry clock.Timer
	for {
		var wake <-chan struct{}
		var retryC <-chan time.Time
		last := pos
		if retry != nil {
			retryC = retry.C()
		} else if following {
			var ch <-chan struct{}
			last, ch = h.store.Changes()
			wake = ch
			if last > pos {
				wake = h.now
			}
		}
		select {
		case <-ctx.Done():
			return
		case r := <-h.register:
			h.clients[r.c] = struct{}{}
			r.pos <- pos
		case c := <-h.unregister:
			delete(h.clients, c)
		case <-retryC:
			retry = nil
		case <-wake:
			if last <= pos {
				// Woken by a commit: the next Changes has a higher id
				// (pos never passes the published id), unless the store
				// is closed, which also closes the channel. Then stop
				// following instead of spinning.
				if now, _ := h.store.Changes(); now <= pos {
					h.log.Info("web: the store is closed; the event stream stops following it")
					following = false
				}
				continue
			}
			next, err := h.fanOut(ctx, pos, last)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				h.log.Error("web: reading the event log for the stream failed; retrying in a second", "after", pos, "err", err)
				retry = h.clock.NewTimer(time.Second)
				continue
			}
			if next == pos {
				// The store published events up to last, yet none after
				// pos can be read. relaylab prune or sink clear may have
				// deleted them (from this process or another) before the
				// stream sent them: the file's id sequence then has
				// passed them, and the stream goes on after them.
				if h.deletedUpTo(ctx, last) {
					h.log.Debug("web: events were deleted (relaylab prune, sink clear) before the stream sent them; it goes on after them", "after", pos, "published", last)
					pos = last
					h.pos.Store(pos)
					continue
				}
				// Otherwise a reader on another file (the store's file
				// replaced while it runs). Asking again at once would
				// spin a core.
				h.log.Error("web: the store published events the event log does not hold; the stream waits and retries in a second (was the database file deleted, replaced or edited while relaylab runs?)", "after", pos, "published", last)
				retry = h.clock.NewTimer(time.Second)
				continue
			}
			pos = next
			h.pos.Store(pos)
		}
	}
}

// deletedUpTo says whether the event log's file has given out ids up to
// last (its AUTOINCREMENT sequence), so that events published up to there
// and not found were deleted, not written to another file.
func (h *hub) deletedUpTo(ctx context.Context, last int64) bool {
	if h.replaced != nil {
		return !h.replaced()
	}
	var seq int64
	err := h.store.DB().QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'events'`).Scan(&seq)
	return err == nil && seq >= last
}

// fanOut reads one batch of events after pos, up to upTo (the last id the
// store has published), and hands each to the matching clients; it returns
// the new position. Events committed but not yet published are left for the
// next round: the hub's position must not pass the store's, or the wake-up
// for their publication would look like the store closing.
func (h *hub) fanOut(ctx context.Context, pos, upTo int64) (int64, error) {
	evs, err := h.store.Events(ctx, events.Filter{AfterID: pos, Limit: hubBatch})
	if err != nil {
		return pos, err
	}
	var all []encoded
	for _, e := range evs {
		if e.ID > upTo {
			break
		}
		pos = e.ID
		if h.observe != nil {
			h.observe(e)
		}
		data, err := encodeEvent(h.explain.event(e))
		if err != nil { // a payload that is not JSON: skip it, say so
			h.log.Error("web: event cannot be encoded", "id", e.ID, "kind", e.Kind, "err", err)
			continue
		}
		item := encoded{id: e.ID, data: data}
		all = append(all, item)
		for c := range h.clients {
			if !c.all && matchEvent(c.filter, e) {
				c.pending = append(c.pending, item)
			}
		}
	}
	var shared *batch
	for c := range h.clients {
		var b *batch
		if c.all {
			if len(all) == 0 {
				continue
			}
			if shared == nil {
				pm, err := websocket.NewPreparedMessage(websocket.TextMessage, joinFrame(nil, all))
				if err != nil { // cannot happen without compression; send items
					pm = nil
				}
				shared = &batch{items: all, frame: pm}
			}
			b = shared
		} else {
			if len(c.pending) == 0 {
				continue
			}
			b = &batch{items: c.pending}
			c.pending = nil // handed over
		}
		select {
		case c.send <- b:
		default:
			h.drop(c, "too slow")
		}
	}
	return pos, nil
}

// joinFrame appends the JSON array of items to buf.
func joinFrame(buf []byte, items []encoded) []byte {
	buf = append(buf, '[')
	for i, it := range items {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, it.data...)
	}
	return append(buf, ']')
}

func (h *hub) drop(c *streamClient, reason string) {
	delete(h.clients, c)
	c.reason = reason
	close(c.quit)
}

func (h *hub) dropAll(reason string) {
	for c := range h.clients {
		h.drop(c, reason)
	}
}

// join registers c and returns the id after which the hub will send it
// events. ok is false when the hub is not running or ctx ends first.
func (h *hub) join(ctx context.Context, c *streamClient) (pos int64, ok bool) {
	if !h.running.Load() {
		return 0, false
	}
	r := registration{c: c, pos: make(chan int64, 1)}
	select {
	case h.register <- r:
		return <-r.pos, true
	case <-h.done:
		return 0, false
	case <-ctx.Done():
		return 0, false
	}
}

// leave unregisters c; it never blocks on a stopped hub.
func (h *hub) leave(c *streamClient) {
	select {
	case h.unregister <- c:
	case <-h.done:
	}
}
