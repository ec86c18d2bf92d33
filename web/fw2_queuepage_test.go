package web

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// pagingRelay is a fakeRelay that pages its queue (QueuePageAPI) and
// holds by hand (QueueHoldAPI), remembering what it was asked.
type pagingRelay struct {
	*fakeRelay
	asked   QueueFilter
	pages   int      // QueuePage calls
	holds   []string // "hold id rcpt by note", "release id rcpt by"
	holdErr error
}

var (
	_ QueuePageAPI = (*pagingRelay)(nil)
	_ QueueHoldAPI = (*pagingRelay)(nil)
)

// QueuePage pages the fake's queue (listed newest first) as the relay
// does: oldest first reversed, after and before by id, a domain filter
// (ending of an address), a recipient (part of one) and a state (of a
// waiting recipient; "waiting" is any).
func (p *pagingRelay) QueuePage(ctx context.Context, f QueueFilter) (QueuePage, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = f
	p.pages++
	var q []QueueEntry
	for _, e := range p.queue {
		if pageMatch(e, f) {
			q = append(q, e)
		}
	}
	if f.Oldest {
		slices.Reverse(q)
	}
	at := func(id string) int {
		return slices.IndexFunc(q, func(e QueueEntry) bool { return e.ID == id })
	}
	from, to := 0, len(q)
	switch {
	case f.After != "":
		i := at(f.After)
		if i < 0 {
			return QueuePage{}, fmt.Errorf("%w: relay: not found: %s, the message to page from", ErrInvalid, f.After)
		}
		from = i + 1
		to = min(from+f.Limit, len(q))
	case f.Before != "":
		i := at(f.Before)
		if i < 0 {
			return QueuePage{}, fmt.Errorf("%w: relay: not found: %s, the message to page from", ErrInvalid, f.Before)
		}
		to = i
		from = max(0, to-f.Limit)
	default:
		to = min(f.Limit, len(q))
	}
	return QueuePage{Entries: cloneEntries(q[from:to]), Total: len(q), More: to < len(q), Earlier: from > 0}, nil
}

func pageMatch(e QueueEntry, f QueueFilter) bool {
	for _, w := range e.Waiting {
		if f.State != "waiting" && f.State != "all" && w.State != f.State {
			continue
		}
		if f.Recipient != "" && !strings.Contains(w.Address, f.Recipient) {
			continue
		}
		if f.Domain != "" && !strings.HasSuffix(w.Address, "@"+strings.TrimPrefix(f.Domain, "@")) {
			continue
		}
		return true
	}
	return false
}

// setHold puts rcpt of message id on hold by hand, or releases it.
func (p *pagingRelay) setHold(id, rcpt, by, note string, hold bool) []string {
	var out []string
	for i := range p.queue {
		if p.queue[i].ID != id {
			continue
		}
		for j := range p.queue[i].Waiting {
			w := &p.queue[i].Waiting[j]
			if rcpt != "" && w.Address != rcpt {
				continue
			}
			if hold && w.State != "held" {
				w.State, w.OperatorHold = "held", &OperatorHold{By: by, Since: time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC), Note: note}
				out = append(out, w.Address)
			} else if !hold && w.State == "held" {
				w.State, w.OperatorHold = "deferred", nil
				out = append(out, w.Address)
			}
		}
	}
	return out
}

func (p *pagingRelay) Hold(ctx context.Context, id, rcpt, by, note string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holds = append(p.holds, strings.Join([]string{"hold", id, rcpt, by, note}, " "))
	if p.holdErr != nil {
		return nil, p.holdErr
	}
	return p.setHold(id, rcpt, by, note, true), nil
}

func (p *pagingRelay) Release(ctx context.Context, id, rcpt, by string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holds = append(p.holds, strings.Join([]string{"release", id, rcpt, by}, " "))
	if p.holdErr != nil {
		return nil, p.holdErr
	}
	return p.setHold(id, rcpt, by, "", false), nil
}

// fw2Queue is a relay holding n messages of one deferred recipient
// each, listed newest first: q-000 is the newest, rq-000@r.test its
// recipient.
func fw2Queue(n int) *fakeRelay {
	f := newFakeRelay()
	now := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	for i := range n {
		id := fmt.Sprintf("q-%03d", i)
		f.queue = append(f.queue, QueueEntry{ID: id, From: "app@s.test", Recipients: []string{"r" + id + "@r.test"}, Queued: now, Attempts: 1,
			Waiting: []QueueRecipient{{Address: "r" + id + "@r.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Hour),
				LastReply: QueueReply{Stage: "rcpt", Code: 451, Text: "greylisted"}}}})
	}
	f.depth = n
	return f
}

func entryIDs(q []QueueEntry) []string {
	var out []string
	for _, e := range q {
		out = append(out, e.ID)
	}
	return out
}

// TestQueuePaging: /api/v1/queue takes state, recipient, domain, order,
// after and before to a relay that pages its queue, and answers total,
// more and earlier; after and before together, a state or an order it
// does not know, and a stale cursor are 400s; a relay that cannot page
// refuses the filters rather than ignoring them.
func TestQueuePaging(t *testing.T) {
	t.Parallel()
	p := &pagingRelay{fakeRelay: fw2Queue(7)}
	ts := startServer(t, Options{Relay: p})
	var a struct {
		Queue   []QueueEntry `json:"queue"`
		Total   *int         `json:"total"`
		More    bool         `json:"more"`
		Earlier bool         `json:"earlier"`
	}
	getJSON(t, ts.url+"/api/v1/queue?limit=3&order=oldest&state=deferred&domain=@r.test&recipient=r&after=q-005", &a)
	if len(a.Queue) != 3 || a.Total == nil || *a.Total != 7 || !a.More || !a.Earlier || a.Queue[0].ID != "q-004" {
		t.Errorf("paged answer: %d listed from %v, total %v, more %v, earlier %v; want 3 from q-004, 7, true, true", len(a.Queue), entryIDs(a.Queue), a.Total, a.More, a.Earlier)
	}
	want := QueueFilter{Limit: 3, State: "deferred", Domain: "@r.test", Recipient: "r", Oldest: true, After: "q-005"}
	if p.asked != want {
		t.Errorf("the relay was asked %+v, want %+v", p.asked, want)
	}
	getJSON(t, ts.url+"/api/v1/queue", &a)
	if want := (QueueFilter{Limit: 100, State: "waiting"}); p.asked != want {
		t.Errorf("by default the relay was asked %+v, want %+v", p.asked, want)
	}
	for _, tc := range []struct{ query, want string }{
		{"after=q-1&before=q-3", "after and before together"},
		{"state=stuck", `bad state \"stuck\"`},
		{"order=sideways", `bad order \"sideways\"`},
		{"after=gone", "gone, the message to page from"},
	} {
		code, _, body := do(t, "GET", ts.url+"/api/v1/queue?"+tc.query, "")
		if code != 400 || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET /api/v1/queue?%s: %d %s; want 400 saying %q", tc.query, code, body, tc.want)
		}
	}
	plain := startServer(t, Options{Relay: longQueue(3, 3)})
	code, _, body := do(t, "GET", plain.url+"/api/v1/queue?order=oldest", "")
	if code != 400 || !strings.Contains(string(body), "cannot page") {
		t.Errorf("order=oldest from a relay that cannot page: %d %s; want 400", code, body)
	}
	getJSON(t, plain.url+"/api/v1/queue?limit=2", &a)
	if !a.More || a.Earlier {
		t.Errorf("a cut list from a relay that cannot page: more %v, earlier %v; want more alone", a.More, a.Earlier)
	}
}

// TestQueueHoldRelease: POST /api/v1/queue/{id}/hold and /release take
// an optional recipient (and a hold a note), say who asked, answer what
// changed, map the relay's errors to 404, 400 and 409, and are writes:
// another origin is refused before the relay is asked.
func TestQueueHoldRelease(t *testing.T) {
	t.Parallel()
	p := &pagingRelay{fakeRelay: fw2Queue(2)}
	ts := startServer(t, Options{Relay: p})
	code, _, body := do(t, "POST", ts.url+"/api/v1/queue/q-001/hold", `{"recipient":"rq-001@r.test","note":"bad DNS"}`, "Content-Type", "application/json")
	var a holdAnswer
	if err := json.Unmarshal(body, &a); code != 200 || err != nil || a.ID != "q-001" || len(a.Held) != 1 || !strings.Contains(a.Detail, "release") {
		t.Errorf("hold: %d %s; want 200 naming the recipient held and how to release it", code, body)
	}
	code, _, body = do(t, "POST", ts.url+"/api/v1/queue/q-001/release", "")
	if code != 200 || !strings.Contains(string(body), `"released":["rq-001@r.test"]`) {
		t.Errorf("release without a body: %d %s; want 200", code, body)
	}
	// Again: nothing is held now, which is no error (as postsuper -H),
	// and the answer says that nothing changed rather than "released".
	code, _, body = do(t, "POST", ts.url+"/api/v1/queue/q-001/release", "")
	if code != 200 || strings.Contains(string(body), `"released"`) || !strings.Contains(string(body), "not held: nothing to release") {
		t.Errorf("release of mail not held: %d %s; want 200 saying nothing was held", code, body)
	}
	if code, _, body := do(t, "POST", ts.url+"/api/v1/queue/q-1/release", `{"note":"x"}`); code != 400 {
		t.Errorf("release with a note: %d %s; want 400", code, body)
	}
	if code, _, body := do(t, "POST", ts.url+"/api/v1/queue/q-1/hold", `{"recipent":"x"}`); code != 400 || !strings.Contains(string(body), "recipent") {
		t.Errorf("hold with an unknown field: %d %s; want 400 naming it", code, body)
	}
	if code, _, body := do(t, "POST", ts.url+"/api/v1/queue/q-1/hold", "", "Origin", "http://evil.test"); code != 403 {
		t.Errorf("hold from another origin: %d %s; want 403", code, body)
	}
	wantHolds := []string{"hold q-001 rq-001@r.test the web API bad DNS", "release q-001  the web API", "release q-001  the web API"}
	if got := strings.Join(p.holds, "|"); got != strings.Join(wantHolds, "|") {
		t.Errorf("the relay was asked %q, want %q", p.holds, wantHolds)
	}
	for _, tc := range []struct {
		err  error
		code int
	}{
		{fmt.Errorf("%w: no relay message %q", ErrNotFound, "q-1"), 404},
		{fmt.Errorf("%w: q-1 is delivered, not waiting; nothing to hold", ErrInvalid), 400},
		{fmt.Errorf("%w: q-1 is in flight to b@r.test", ErrConflict), 409},
	} {
		p.mu.Lock()
		p.holdErr = tc.err
		p.mu.Unlock()
		code, _, body := do(t, "POST", ts.url+"/api/v1/queue/q-1/hold", "")
		if code != tc.code || !strings.Contains(string(body), "q-1") {
			t.Errorf("hold with the relay's %v: %d %s; want %d with its explanation", tc.err, code, body, tc.code)
		}
	}
}
