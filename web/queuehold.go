package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// QueueHoldAPI is offered by a RelayAPI whose operators can hold mail by
// hand (as Postfix's postsuper -h and -H): a held recipient is not tried
// until it is released, and does not expire meanwhile. by names who asks
// ("the web API, user alice"). Both return the addresses they changed:
// none, and no error, for mail already held or not held, which changes
// nothing (as postsuper's). A message the relay does not have is an
// ErrNotFound; a finished message, or a recipient the message lacks, an
// ErrInvalid saying why; a recipient in flight, an ErrConflict.
type QueueHoldAPI interface {
	Hold(ctx context.Context, id, rcpt, by, note string) ([]string, error)
	Release(ctx context.Context, id, rcpt, by string) ([]string, error)
}

// QueueHoldersAPI is offered by a QueueHoldAPI that can say who holds a
// message's recipients by hand: the answer to a hold of mail already
// held then names, of each, by whom and since when (as relaylab queue
// hold does).
type QueueHoldersAPI interface {
	// OperatorHolds lists message id's recipients held by hand.
	OperatorHolds(ctx context.Context, id string) ([]RecipientHold, error)
}

// RecipientHold is one recipient held by hand, and its hold.
type RecipientHold struct {
	Address string `json:"address"`
	OperatorHold
}

// holdRequest is the body of POST /api/v1/queue/{id}/hold and /release,
// both fields optional (release takes no note): no recipient holds or
// releases every one of the message's.
type holdRequest struct {
	Recipient string `json:"recipient"`
	Note      string `json:"note"`
}

// holdAnswer is what a hold or a release answers.
type holdAnswer struct {
	ID       string   `json:"id"`
	Held     []string `json:"held,omitempty"`
	Released []string `json:"released,omitempty"`
	// Holds are, for a hold of mail already held, the holds it kept.
	Holds  []RecipientHold `json:"holds,omitempty"`
	Detail string          `json:"detail"`
}

func (s *Server) holdQueued(w http.ResponseWriter, r *http.Request)    { s.holdOrRelease(w, r, true) }
func (s *Server) releaseQueued(w http.ResponseWriter, r *http.Request) { s.holdOrRelease(w, r, false) }

func (s *Server) holdOrRelease(w http.ResponseWriter, r *http.Request, hold bool) {
	verb := "releasing"
	if hold {
		verb = "holding"
	}
	ha, ok := s.opts.Relay.(QueueHoldAPI)
	if !ok {
		writeError(w, http.StatusNotImplemented, "this relay cannot hold mail by hand",
			"use relaylab queue hold and queue release with a relaylab that has them")
		return
	}
	var req holdRequest
	data, ok := readBody(w, r)
	if !ok {
		return
	}
	if len(bytes.TrimSpace(data)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(data))
		if !readJSON(w, r, &req) {
			return
		}
	}
	if !hold && req.Note != "" {
		writeError(w, http.StatusBadRequest, "a release takes no note",
			"the note says why mail is held, and goes with a hold: send {\"recipient\": ...} or no body")
		return
	}
	id := r.PathValue("id")
	by := "the web API"
	if u, _, ok := r.BasicAuth(); ok && u != "" {
		by += ", user " + u
	}
	rcpt := strings.TrimSpace(req.Recipient)
	a := holdAnswer{ID: id}
	var err error
	if hold {
		a.Held, err = ha.Hold(r.Context(), id, rcpt, by, req.Note)
	} else {
		a.Released, err = ha.Release(r.Context(), id, rcpt, by)
	}
	if err != nil {
		s.writeAPIError(w, r, verb+" the message", err)
		return
	}
	switch {
	case hold && len(a.Held) == 0:
		a.Holds = keptHolds(r.Context(), ha, id, rcpt)
		a.Detail = "already held: each recipient keeps its hold; nothing changed"
		if len(a.Holds) > 0 {
			var who []string
			for _, h := range a.Holds {
				who = append(who, describeRecipientHold(h))
			}
			a.Detail = "already held: " + strings.Join(who, "; ") + "; nothing changed"
		}
	case !hold && len(a.Released) == 0:
		a.Detail = "not held: nothing to release, and nothing changed; its waiting recipients go when the relay's schedule has them (GET /api/v1/queue says when)"
	case hold:
		a.Detail = fmt.Sprintf("held %s: nothing is sent to them until they are released (POST /api/v1/queue/%s/release, or relaylab queue release %s); they do not expire while held",
			strings.Join(a.Held, ", "), id, id)
	default:
		a.Detail = fmt.Sprintf("released %s: they are due now, and the relay tries them within seconds", strings.Join(a.Released, ", "))
	}
	writeJSON(w, http.StatusOK, a)
}

// keptHolds are the holds by hand of message id (of recipient rcpt alone
// when given) that a hold found in place, when the relay can say them
// (QueueHoldersAPI); none when it cannot, as the answer's detail then
// says no more than that nothing changed.
func keptHolds(ctx context.Context, ha QueueHoldAPI, id, rcpt string) []RecipientHold {
	hs, ok := ha.(QueueHoldersAPI)
	if !ok {
		return nil
	}
	all, err := hs.OperatorHolds(ctx, id)
	if err != nil {
		return nil // the hold itself went through: its answer stands without them
	}
	var out []RecipientHold
	for _, h := range all {
		if rcpt == "" || strings.EqualFold(h.Address, rcpt) {
			out = append(out, h)
		}
	}
	return out
}

// describeRecipientHold is "ADDR held by BY since T (NOTE)", as
// relaylab queue hold says it.
func describeRecipientHold(h RecipientHold) string {
	s := h.Address + " held by " + h.By
	if !h.Since.IsZero() {
		s += " since " + h.Since.UTC().Format(time.RFC3339)
	}
	if h.Note != "" {
		s += " (" + h.Note + ")"
	}
	return s
}
