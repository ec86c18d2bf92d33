package web

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// attemptsSink is a sink that lists its attempts, all at once and, with
// pages set, a page at a time, by id.
type attemptsSink struct {
	*fakeSink
	mu       sync.Mutex
	attempts []PagedAttempt // in id order
}

var (
	_ SinkAttemptsAPI     = (*attemptsSink)(nil)
	_ SinkAttemptPagesAPI = (*pagedAttemptsSink)(nil)
)

// Attempts lists them by time, as the sink does.
func (f *attemptsSink) Attempts(ctx context.Context) ([]SinkAttempt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]SinkAttempt, len(f.attempts))
	for i, a := range f.attempts {
		out[i] = a.SinkAttempt
	}
	slices.SortStableFunc(out, func(a, b SinkAttempt) int { return a.Time.Compare(b.Time) })
	return out, nil
}

func (f *attemptsSink) add(recipient string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts = append(f.attempts, PagedAttempt{ID: int64(len(f.attempts) + 1),
		SinkAttempt: SinkAttempt{Time: at, Recipient: recipient, Sender: "app@shop.test", Stage: "rcpt", Code: 250}})
}

type pagedAttemptsSink struct{ *attemptsSink }

func (f pagedAttemptsSink) AttemptPage(ctx context.Context, q AttemptPageQuery) ([]PagedAttempt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []PagedAttempt
	for _, a := range f.attempts {
		if a.ID > q.After && (q.Before == 0 || a.ID < q.Before) {
			out = append(out, a)
		}
	}
	if !q.OldestFirst {
		slices.Reverse(out)
	}
	return out[:min(len(out), q.Limit)], nil
}

// attemptsAnswer is what /api/v1/sink/attempts answers, read loosely.
type attemptsAnswer struct {
	Attempts []struct {
		ID *string `json:"id"` // a string, as next is

		Recipient string `json:"recipient"`
	} `json:"attempts"`
	Next *string `json:"next"`
}

// ids are the attempts' ids, "-" for one without.
func (a attemptsAnswer) ids() string {
	var out []string
	for _, x := range a.Attempts {
		if x.ID == nil {
			out = append(out, "-")
		} else {
			out = append(out, *x.ID)
		}
	}
	return strings.Join(out, ",")
}

func (a attemptsAnswer) recipients() string {
	var out []string
	for _, x := range a.Attempts {
		out = append(out, x.Recipient)
	}
	return strings.Join(out, ",")
}

func getAttempts(t *testing.T, base, query string) attemptsAnswer {
	t.Helper()
	code, _, body := do(t, "GET", base+"/api/v1/sink/attempts"+query, "")
	var a attemptsAnswer
	if err := json.Unmarshal(body, &a); code != 200 || err != nil {
		t.Fatalf("attempts%s: %d %s", query, code, body)
	}
	return a
}

// TestSinkAttemptsPaging: /api/v1/sink/attempts without limit, before
// and after is every attempt by time, as relaylab expect --url reads it;
// with them, a page by id as the inbox pages, each attempt with its id,
// next going on, after= reading those recorded since once each.
func TestSinkAttemptsPaging(t *testing.T) {
	t.Parallel()
	sink := &attemptsSink{fakeSink: newFakeSink()}
	// e was recorded last (its session ended last) but tried first.
	for i, r := range []string{"a", "b", "c", "d"} {
		sink.add(r, testEpoch.Add(time.Duration(i+1)*time.Minute))
	}
	sink.add("e", testEpoch)
	ts := startServer(t, Options{Sink: pagedAttemptsSink{sink}})

	all := getAttempts(t, ts.url, "")
	if all.recipients() != "e,a,b,c,d" || all.Next != nil || all.ids() != "5,1,2,3,4" {
		t.Errorf("every attempt: %s ids %s next %v, want e,a,b,c,d by time, ids 5,1,2,3,4, without next", all.recipients(), all.ids(), all.Next)
	}
	p := getAttempts(t, ts.url, "?limit=2")
	if p.recipients() != "e,d" || p.Next == nil || *p.Next != "4" || *p.Attempts[0].ID != "5" {
		t.Fatalf("limit=2: %s next %v, want e,d (newest recorded first) next 4", p.recipients(), p.Next)
	}
	p = getAttempts(t, ts.url, "?limit=2&before=4")
	if p.recipients() != "c,b" || p.Next == nil || *p.Next != "2" {
		t.Errorf("before=4: %s next %v, want c,b next 2", p.recipients(), p.Next)
	}
	p = getAttempts(t, ts.url, "?limit=2&before=2")
	if p.recipients() != "a" || p.Next != nil {
		t.Errorf("before=2: %s next %v, want a and no next", p.recipients(), p.Next)
	}
	// after= reads up, oldest recorded first, and what comes since.
	var read []string
	after := "0"
	for range 10 {
		p := getAttempts(t, ts.url, "?limit=2&after="+after)
		read = append(read, p.recipients())
		if p.Next == nil {
			after = *p.Attempts[len(p.Attempts)-1].ID
			break
		}
		after = *p.Next
	}
	if strings.Join(read, "|") != "a,b|c,d|e" {
		t.Errorf("after=0 on: %q, want a,b|c,d|e", strings.Join(read, "|"))
	}
	sink.add("f", testEpoch.Add(-time.Hour))
	if p := getAttempts(t, ts.url, "?after="+after); p.recipients() != "f" || p.Next != nil {
		t.Errorf("after=%s once f is recorded: %s next %v, want f alone", after, p.recipients(), p.Next)
	}
	if p := getAttempts(t, ts.url, "?after=1&before=4"); p.recipients() != "b,c" {
		t.Errorf("after=1 before=4: %s, want b,c", p.recipients())
	}

	for _, q := range []string{"?limit=x", "?limit=10001", "?before=-1", "?after=x", "?page=2", "?limit=1&limit=2"} {
		code, _, body := do(t, "GET", ts.url+"/api/v1/sink/attempts"+q, "")
		if e := wantAPIError(t, body); code != 400 {
			t.Errorf("%s: %d %+v, want 400", q, code, e)
		}
	}

	// A sink that gives them only all at once: as before, and a 501 for
	// a page.
	whole := startServer(t, Options{Sink: sink})
	if a := getAttempts(t, whole.url, ""); a.recipients() != "f,e,a,b,c,d" {
		t.Errorf("every attempt of a sink without pages: %s", a.recipients())
	}
	code, _, body := do(t, "GET", whole.url+"/api/v1/sink/attempts?limit=2", "")
	if e := wantAPIError(t, body); code != 501 || !strings.Contains(e.Detail, "leave out limit, before and after") {
		t.Errorf("a page of a sink without pages: %d %+v, want 501", code, e)
	}
}
