package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/relaylab/relaylab/internal/events"
)

const (
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
	// maxFrameEvents is about the most events written in one websocket
	// frame (a frame holds whole batches).
	maxFrameEvents = 1000
)

// The stream protocol: the client opens /api/v1/events/stream (or
// /api/v1/events with an Upgrade header) with ?after=<last id it saw> or
// ?tail=N (the log's last N events) and optional kind, message and
// recipient filters. Every text frame the server
// sends is a JSON array of events in id order. A client that falls behind is
// closed with code 1013 (try again later); it reconnects with after= the
// last id it received and loses nothing.

// handshakeError answers a refused websocket handshake in the API's JSON,
// naming what is wrong, instead of the upgrader's one plain-text word.
func handshakeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	if status == http.StatusForbidden {
		writeError(w, status, "websocket from another origin refused",
			originRefused(r.Header.Get("Origin")))
		return
	}
	writeError(w, status, "not a websocket handshake: "+reason.Error(),
		"open /api/v1/events/stream with a websocket client, or read pages of the log from /api/v1/events")
}

// streamEvents serves one websocket follower.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r)
	if err != nil {
		// Refused before the upgrade: a filter that matches nothing would
		// wait for events forever.
		writeError(w, http.StatusBadRequest, "bad event filter", err.Error())
		return
	}
	// /api/v1/events takes limit for its pages; a stream sends every
	// event that matches, so a limit there is refused before the upgrade
	// rather than ignored.
	if r.URL.Query().Has("limit") {
		writeError(w, http.StatusBadRequest, "limit does not apply to the event stream",
			"the websocket sends every matching event after after=, then live ones; to start near the end of the log give tail=N "+
				"(the last N events), or read pages of at most limit events from /api/v1/events without Upgrade")
		return
	}
	// tail=N starts at the last N events of the log (before filtering),
	// as it does for a page of /api/v1/events.
	tail, err := queryInt(r, "tail", 0, 100000)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), "give tail as the number of the log's last events to start from")
		return
	}
	if r.URL.Query().Has("tail") { // tail=0 too: no backlog, only what comes next
		last, _ := s.opts.Store.Changes()
		f.AfterID = max(f.AfterID, last-tail)
	}
	if !s.hub.running.Load() {
		writeError(w, http.StatusServiceUnavailable, "the event stream is not running", "the server follows the event log only while it runs (Server.Start or Server.Run)")
		return
	}
	up := websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 16 << 10,
		CheckOrigin:     s.originAllowed,
		Error:           handshakeError,
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()

	// The reader handles pongs and close frames; clients send nothing else.
	gone := make(chan struct{})
	conn.SetReadLimit(4 << 10)
	conn.SetReadDeadline(time.Now().Add(s.pongWait))
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(s.pongWait))
	})
	go func() {
		defer close(gone)
		defer cancel()
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()

	f.Limit = hubBatch
	st := &streamState{conn: conn, last: f.AfterID}
	// Catch up from SQLite before joining the hub, so that a long backlog
	// does not overflow the live buffer.
	if err := s.backlog(ctx, st, f, 0); err != nil {
		st.close(websocket.CloseInternalServerErr, "reading the event log failed")
		return
	}
	c := &streamClient{filter: f, send: make(chan *batch, s.opts.ClientBuffer), quit: make(chan struct{}),
		all: len(f.Kinds) == 0 && f.Message == "" && f.Recipient == ""}
	pos, ok := s.hub.join(ctx, c)
	if !ok {
		st.close(websocket.CloseGoingAway, "server shutting down")
		return
	}
	defer s.hub.leave(c)
	// The hub sends everything after pos; fill the gap up to pos.
	if err := s.backlog(ctx, st, f, pos); err != nil {
		st.close(websocket.CloseInternalServerErr, "reading the event log failed")
		return
	}

	// Network keep-alive is wall-clock by nature, like socket deadlines.
	ping := time.NewTicker(s.pingEvery)
	defer ping.Stop()
	var frame []encoded
	for {
		select {
		case b := <-c.send:
			// A whole batch not seen yet goes out as the frame the hub
			// built once for everyone.
			if b.frame != nil && b.items[0].id > st.last && len(c.send) == 0 {
				st.conn.SetWriteDeadline(time.Now().Add(writeWait))
				if err := st.conn.WritePreparedMessage(b.frame); err != nil {
					return
				}
				st.last = b.items[len(b.items)-1].id
				continue
			}
			frame = frame[:0]
			for {
				for _, it := range b.items {
					if it.id > st.last {
						frame = append(frame, it)
						st.last = it.id
					}
				}
				if len(frame) >= maxFrameEvents {
					break
				}
				select {
				case b = <-c.send:
					continue
				default:
				}
				break
			}
			if len(frame) > 0 {
				if err := st.write(frame); err != nil {
					return
				}
			}
		case <-c.quit:
			if c.reason == "too slow" {
				st.close(websocket.CloseTryAgainLater, fmt.Sprintf("too slow: reconnect with after=%d", st.last))
			} else {
				st.close(websocket.CloseGoingAway, c.reason)
			}
			return
		case <-ping.C:
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		case <-gone:
			return
		}
	}
}

// streamState is one connection's writer side: only the handler's
// goroutine uses it.
type streamState struct {
	conn *websocket.Conn
	last int64 // the last event id written
	buf  []byte
}

// write sends events already encoded as one JSON array frame.
func (st *streamState) write(evs []encoded) error {
	st.buf = joinFrame(st.buf[:0], evs)
	return st.writeFrame(st.buf)
}

func (st *streamState) writeFrame(frame []byte) error {
	st.conn.SetWriteDeadline(time.Now().Add(writeWait))
	return st.conn.WriteMessage(websocket.TextMessage, frame)
}

func (st *streamState) close(code int, reason string) {
	st.conn.SetWriteDeadline(time.Now().Add(writeWait))
	st.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason))
}

// backlog writes the events matching f after st.last, up to upTo (0: up to
// the end of the log as it is now).
func (s *Server) backlog(ctx context.Context, st *streamState, f events.Filter, upTo int64) error {
	if upTo == 0 {
		upTo, _ = s.opts.Store.Changes()
	}
	var batch []encoded
	for st.last < upTo {
		f.AfterID = st.last
		evs, err := s.readEvents(ctx, f)
		if err != nil {
			return err
		}
		batch = batch[:0]
		lastID := st.last
		for _, e := range evs {
			if e.ID > upTo {
				break
			}
			d, err := encodeEvent(e)
			if err != nil {
				continue
			}
			batch = append(batch, encoded{id: e.ID, data: d})
			lastID = e.ID
		}
		for i := 0; i < len(batch); i += maxFrameEvents {
			if err := st.write(batch[i:min(i+maxFrameEvents, len(batch))]); err != nil {
				return err
			}
		}
		st.last = lastID
		if len(evs) < f.Limit || lastID >= upTo || len(batch) == 0 {
			break
		}
	}
	// Whatever matched or not, everything up to upTo has been considered.
	if st.last < upTo {
		st.last = upTo
	}
	return nil
}
