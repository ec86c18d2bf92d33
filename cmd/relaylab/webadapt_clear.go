package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

var _ web.SinkClearAPI = sinkAdapter{}

// errNoSink is what the clearing endpoints answer from an adapter that
// reads a store without running its sink.
var errNoSink = errors.New("this process reads the sink's store without running the sink: run `relaylab sink reset` or `relaylab sink clear` on the store instead")

// Reset makes the running sink forget its attempt counters and greylist,
// as relaylab sink reset does.
func (a sinkAdapter) Reset(ctx context.Context) (web.SinkForgotten, error) {
	if a.sk == nil {
		return web.SinkForgotten{}, errNoSink
	}
	f, err := a.sk.ResetState(ctx)
	if err != nil {
		return web.SinkForgotten{}, err
	}
	return forgottenDTO(f), nil
}

// Clear deletes the sink's record and makes it forget its counters and
// greylist (sink.Clear).
func (a sinkAdapter) Clear(ctx context.Context) (web.SinkCleared, error) {
	if a.sk == nil {
		return web.SinkCleared{}, errNoSink
	}
	c, err := a.sk.Clear(ctx)
	if err != nil {
		return web.SinkCleared{}, err
	}
	return web.SinkCleared{Deleted: deletedDTO(c.Tables), KeptMessages: c.KeptMessages, Forgotten: forgottenDTO(c.Forgotten)}, nil
}

// DeleteMessage deletes one message the sink stored.
func (a sinkAdapter) DeleteMessage(ctx context.Context, id string) (web.SinkDeleted, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return web.SinkDeleted{}, fmt.Errorf("%w: %q is not a sink message id: a sink message id is a positive integer, as in /api/v1/sink/messages/42", web.ErrInvalid, id)
	}
	if a.sk == nil {
		return web.SinkDeleted{}, errNoSink
	}
	tables, due, err := a.sk.DeleteMessage(ctx, n)
	switch {
	case errors.Is(err, store.ErrBounceDue):
		return web.SinkDeleted{}, bounceDue(n, due)
	case err != nil:
		return web.SinkDeleted{}, err
	case tables == nil:
		return web.SinkDeleted{}, a.noMessage(ctx, n)
	}
	return deletedDTO(tables), nil
}

// bounceDue is the ErrConflict of deleting sink message n, which a
// bounce due at due quotes.
func bounceDue(n int64, due time.Time) error {
	return fmt.Errorf("%w: sink message %d is quoted by a bounce the sink sends at %s (a rule's or a directive's later bounce), and the sink reads the message then: delete it after that",
		web.ErrConflict, n, due.Format(time.RFC3339))
}

var _ web.SinkBatchDeleteAPI = sinkAdapter{}

// DeleteMessages deletes the sink messages ids a few hundred a
// transaction (sink.DeleteMessages); each one kept says why, as
// DeleteMessage's error says it for one.
func (a sinkAdapter) DeleteMessages(ctx context.Context, ids []int64) (web.SinkBatchDeleted, error) {
	if a.sk == nil {
		return web.SinkBatchDeleted{}, errNoSink
	}
	d, err := a.sk.DeleteMessages(ctx, ids)
	res := web.SinkBatchDeleted{Deleted: deletedDTO(d.Tables), IDs: d.IDs, Kept: map[int64]error{}}
	for n, due := range d.Due {
		res.Kept[n] = bounceDue(n, due)
	}
	for _, n := range d.Missing {
		res.Kept[n] = a.noMessage(ctx, n)
	}
	return res, err
}

// noMessage is the ErrNotFound for sink message n, which says so when the
// sink held it once and no longer does, so that a page or a test that
// kept its id reads that it was deleted, not that it never was.
func (a sinkAdapter) noMessage(ctx context.Context, n int64) error {
	gone, err := sink.MessageGone(ctx, a.db, n)
	if err != nil {
		return err
	}
	if gone {
		return fmt.Errorf("%w: sink message %d was deleted: the sink no longer holds it (deleted over the API, cleared by DELETE /api/v1/sink/messages or relaylab sink clear, or pruned by relaylab prune); "+
			"the session that brought it may still be listed", web.ErrNotFound, n)
	}
	return fmt.Errorf("%w: no sink message %d", web.ErrNotFound, n)
}

func forgottenDTO(f sink.Forgotten) web.SinkForgotten {
	return web.SinkForgotten{Pairs: f.Pairs, Messages: f.Messages, Greylist: f.Greylist, BeforeSession: f.Before}
}

// deletedDTO counts the rows deleted of each of the sink's tables.
func deletedDTO(tables []store.Pruned) web.SinkDeleted {
	var d web.SinkDeleted
	for _, t := range tables {
		switch t.Table {
		case "sink_messages":
			d.Messages += t.Rows
		case "sink_sessions":
			d.Sessions += t.Rows
		case "sink_attempts":
			d.Attempts += t.Rows
		case "sink_bounces":
			d.Bounces += t.Rows
		case "events":
			d.Events += t.Rows
		}
	}
	return d
}
