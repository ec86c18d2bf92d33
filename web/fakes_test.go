package web

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Fakes of the sink, the relay and the probes, built from data.

type fakeRelay struct {
	mu       sync.Mutex
	msgs     map[string]MessageDetail
	raw      map[string][]byte // what Raw gives, by id
	queue    []QueueEntry
	sup      []Suppression
	enqueued []EnqueueRequest
	retried  []string
	deleted  []string
	depth    int
	depthErr error // QueueDepth's error, when set
}

var (
	_ RelayAPI = (*fakeRelay)(nil)
	_ RawAPI   = (*fakeRelay)(nil)
	_ RawAPI   = (*fakeSink)(nil)
)

func (f *fakeRelay) Raw(ctx context.Context, id string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakeRaw(f.raw, id, "relay")
}

func (f *fakeSink) Raw(ctx context.Context, id string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakeRaw(f.raw, id, "sink")
}

func fakeRaw(m map[string][]byte, id, where string) ([]byte, error) {
	b, ok := m[id]
	if !ok {
		return nil, fmt.Errorf("%w: no message %q in the %s", ErrNotFound, id, where)
	}
	return b, nil
}

func newFakeRelay() *fakeRelay { return &fakeRelay{msgs: map[string]MessageDetail{}} }

func (f *fakeRelay) Enqueue(ctx context.Context, m EnqueueRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.HasSuffix(m.From, "@invalid.test") {
		return "", fmt.Errorf("%w: sender domain refused by policy", ErrInvalid)
	}
	if strings.HasSuffix(m.From, "@full.test") {
		return "", fmt.Errorf("%w: the message was not queued: store: commit: database or disk is full", ErrUnavailable)
	}
	f.enqueued = append(f.enqueued, m)
	id := fmt.Sprintf("q%d", len(f.enqueued))
	f.msgs[id] = MessageDetail{ID: id, From: m.From, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML}
	return id, nil
}

func (f *fakeRelay) Queue(ctx context.Context, q QueueFilter) ([]QueueEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneEntries(f.queue), nil
}

// cloneEntries copies entries down to their recipients' slices: the
// server encodes what a fake returns after the fake's lock is let go,
// while a test changes its queue in place (a recipient's attempts).
func cloneEntries(entries []QueueEntry) []QueueEntry {
	out := slices.Clone(entries)
	for i := range out {
		out[i].Recipients = slices.Clone(out[i].Recipients)
		out[i].Waiting = slices.Clone(out[i].Waiting)
		out[i].Finished = slices.Clone(out[i].Finished)
	}
	return out
}

func (f *fakeRelay) QueueDepth(ctx context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.depth, f.depthErr
}

func (f *fakeRelay) Message(ctx context.Context, id string) (MessageDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.msgs[id]
	if !ok {
		return m, fmt.Errorf("%w: no message %q in the relay", ErrNotFound, id)
	}
	return m, nil
}

func (f *fakeRelay) find(id string) int {
	for i, q := range f.queue {
		if q.ID == id {
			return i
		}
	}
	return -1
}

func (f *fakeRelay) RetryNow(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.find(id) < 0 {
		return fmt.Errorf("%w: %q is not queued", ErrNotFound, id)
	}
	f.retried = append(f.retried, id)
	return nil
}

func (f *fakeRelay) Delete(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "busy" {
		return fmt.Errorf("%w: busy is in flight to b@r.test: the relay is attempting it now", ErrConflict)
	}
	i := f.find(id)
	if i < 0 {
		return fmt.Errorf("%w: %q is not queued", ErrNotFound, id)
	}
	f.queue = append(f.queue[:i], f.queue[i+1:]...)
	f.deleted = append(f.deleted, id)
	return nil
}

func (f *fakeRelay) Suppressions(ctx context.Context) ([]Suppression, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Suppression(nil), f.sup...), nil
}

func (f *fakeRelay) Unsuppress(ctx context.Context, addr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, s := range f.sup {
		if s.Address == addr {
			f.sup = append(f.sup[:i], f.sup[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("%w: %s is not suppressed", ErrNotFound, addr)
}

type fakeSink struct {
	mu       sync.Mutex
	rules    SinkRules
	sessions []SinkSession
	msgs     map[string]MessageDetail
	raw      map[string][]byte // what Raw gives, by id
	received Received
	queries  []ReceivedQuery
	setErr   error // SetRules's answer when set
}

var (
	_ SinkAPI         = (*fakeSink)(nil)
	_ SinkReceivedAPI = (*fakeSink)(nil)
)

func (f *fakeSink) Received(ctx context.Context, q ReceivedQuery) (Received, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	r := f.received
	r.Copies = append([]SinkCopy(nil), r.Copies...)
	r.Attempts = append([]ReceivedAttempt(nil), r.Attempts...)
	return r, nil
}

func newFakeSink() *fakeSink {
	return &fakeSink{rules: SinkRules{YAML: "rules:\n  - match: {rcpt: \"*@defer.test\"}\n    reply: \"451 4.7.1 try later\"\n"}, msgs: map[string]MessageDetail{}}
}

func (f *fakeSink) Rules(ctx context.Context) (SinkRules, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rules, nil
}

func (f *fakeSink) SetRules(ctx context.Context, r SinkRules) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return f.setErr
	}
	if !strings.HasPrefix(r.YAML, "rules:") {
		return fmt.Errorf("%w: sink.yaml:1: want a top-level rules: list", ErrInvalid)
	}
	f.rules = r
	return nil
}

func (f *fakeSink) Sessions(ctx context.Context, sf SessionFilter) ([]SinkSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []SinkSession
	before, _ := strconv.Atoi(sf.Before) // numeric ids only; 0 for none
	for _, s := range f.sessions {
		if sf.Listener != "" && s.Listener != sf.Listener {
			continue
		}
		if n, err := strconv.Atoi(s.ID); before > 0 && err == nil && n >= before {
			continue
		}
		if sf.Limit > 0 && len(out) == sf.Limit {
			break
		}
		s.Transcript = nil
		out = append(out, s)
	}
	return out, nil
}

func (f *fakeSink) Session(ctx context.Context, id string) (SinkSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sessions {
		if s.ID == id {
			return s, nil
		}
	}
	return SinkSession{}, fmt.Errorf("%w: no session %q", ErrNotFound, id)
}

func (f *fakeSink) Message(ctx context.Context, id string) (MessageDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.msgs[id]
	if !ok {
		return m, fmt.Errorf("%w: no message %q in the sink", ErrNotFound, id)
	}
	return m, nil
}

type fakeProbe struct {
	mu      sync.Mutex // a test may add results while the server reads them
	results []ProbeResult
	history []ProbeResult
}

var _ ProbeAPI = (*fakeProbe)(nil)

func (f *fakeProbe) Results(ctx context.Context) ([]ProbeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ProbeResult(nil), f.results...), nil
}

// add records r as the newest result of its target.
func (f *fakeProbe) add(r ProbeResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results = append(f.results, r)
	f.history = append([]ProbeResult{r}, f.history...)
}

func (f *fakeProbe) History(ctx context.Context, pf ProbeFilter) ([]ProbeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ProbeResult
	for _, r := range f.history {
		if (pf.Target == "" || r.Target == pf.Target) && (pf.Check == "" || slices.Contains(strings.Split(r.Check, ", "), pf.Check)) {
			out = append(out, r)
		}
	}
	return out, nil
}
