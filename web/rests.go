package web

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// QueueRestsAPI is offered by a RelayAPI that can list the destinations
// it rests after a 421 or a rate limit, which hold back all their mail
// whatever a retry asks, and end one now. by names who asks ("the web
// API, user alice"). EndRest of a destination that does not rest is an
// ErrNotFound.
type QueueRestsAPI interface {
	Rests(ctx context.Context) ([]Rest, error)
	EndRest(ctx context.Context, dest, by string) (EndedRest, error)
}

// Rest is a destination's rest, as GET /api/v1/rests gives it
// (openapi.yaml says what each field holds).
type Rest struct {
	Destination string    `json:"destination"`
	Path        string    `json:"path,omitempty"`
	Until       time.Time `json:"until"`
	Cause       string    `json:"cause,omitempty"`
	Throttling  bool      `json:"throttling"`
	Held        int       `json:"held"`
}

// EndedRest is what an end of a rest did.
type EndedRest struct {
	Rest
	Released int    `json:"released"` // recipients it held, due now
	Detail   string `json:"detail,omitempty"`
}

func (s *Server) listRests(w http.ResponseWriter, r *http.Request) {
	ra, ok := s.opts.Relay.(QueueRestsAPI)
	if !ok {
		writeError(w, http.StatusNotImplemented, "this relay cannot list its destinations' rests", "use relaylab queue rests with a relaylab that has it")
		return
	}
	rests, err := ra.Rests(r.Context())
	if err != nil {
		s.writeAPIError(w, r, "listing the rests", err)
		return
	}
	if rests == nil {
		rests = []Rest{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rests": rests})
}

func (s *Server) endRest(w http.ResponseWriter, r *http.Request) {
	ra, ok := s.opts.Relay.(QueueRestsAPI)
	if !ok {
		writeError(w, http.StatusNotImplemented, "this relay cannot end a destination's rest", "use relaylab queue unrest with a relaylab that has it")
		return
	}
	by := "the web API"
	if u, _, ok := r.BasicAuth(); ok && u != "" {
		by += ", user " + u
	}
	a, err := ra.EndRest(r.Context(), r.PathValue("destination"), by)
	if err != nil {
		s.writeAPIError(w, r, "ending the rest", err)
		return
	}
	a.Detail = fmt.Sprintf("the rest of %s is over; %d waiting recipient(s) it held are due now, and the relay tries them within seconds; a new 421 or rate limit from the destination rests it again",
		a.Destination, a.Released)
	writeJSON(w, http.StatusOK, a)
}
