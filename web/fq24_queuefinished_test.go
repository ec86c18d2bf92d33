package web

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// fq24Queue is a paging relay with, newest first: a message with a
// recipient deferred and one bounced (its last attempt tried two hosts),
// a message whose one recipient was delivered, and a message whose one
// recipient waits for its turn at the relay's shaping. Each lists every
// recipient under Waiting, as the relay's adapter does for state=all.
func fq24Queue() *pagingRelay {
	f := newFakeRelay()
	now := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	f.queue = []QueueEntry{
		{ID: "q-mixed", From: "app@s.test", Recipients: []string{"late@r.test", "gone@r.test"}, Queued: now, Attempts: 2,
			NextAttempt: now.Add(time.Hour), LastReply: "550 5.1.1 no such user (at rcpt)",
			Waiting: []QueueRecipient{
				{Address: "late@r.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Hour),
					LastReply: QueueReply{Stage: "rcpt", Code: 451, Text: "greylisted"}, Category: "greylisted"},
				{Address: "gone@r.test", State: "bounced", Attempts: 2, Path: "smart", Host: "mx2.r.test", Category: "invalid-recipient",
					Reason: "the mailbox does not exist", Advice: "remove the address from the list",
					LastReply: QueueReply{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such user"}},
			}},
		{ID: "q-done", From: "app@s.test", Recipients: []string{"got@r.test"}, Queued: now.Add(-time.Minute), Attempts: 1,
			Waiting: []QueueRecipient{{Address: "got@r.test", State: "delivered", Attempts: 1,
				LastReply: QueueReply{Stage: "data", Code: 250, Text: "ok"}}}},
		{ID: "q-turn", From: "app@s.test", Recipients: []string{"turn@r.test"}, Queued: now.Add(-2 * time.Minute),
			Waiting: []QueueRecipient{{Address: "turn@r.test", State: "inflight", NotBegun: true, Path: "smart", Category: "shaping",
				Reason: "waiting for its turn in the rate of destination path:smart (2 a second): it goes out at 2026-11-30T01:00:05Z",
				Hold:   "waiting for its turn in the rate of destination path:smart (2 a second): it goes out at 2026-11-30T01:00:05Z"}}},
	}
	f.depth = 2
	return &pagingRelay{fakeRelay: f}
}

// fq24QueueAnswer reads /api/v1/queue?query from ts, and the entries by id.
func fq24QueueAnswer(t *testing.T, url, query string) ([]byte, map[string]QueueEntry) {
	t.Helper()
	code, _, body := do(t, "GET", url+"/api/v1/queue"+query, "")
	var a QueueList
	if err := json.Unmarshal(body, &a); code != 200 || err != nil {
		t.Fatalf("/api/v1/queue%s: %d %s (%v)", query, code, body, err)
	}
	byID := map[string]QueueEntry{}
	for _, e := range a.Queue {
		byID[e.ID] = e
	}
	return body, byID
}

func fq24Addresses(rs []QueueRecipient) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Address+" "+r.State)
	}
	return out
}

// TestQueueFinishedApartFromWaiting: /api/v1/queue with state= a finished
// state or all lists the finished recipients under finished, with their
// state, last reply, category, reason, advice and the hosts their last
// attempt tried, and neither under waiting nor in recipients, which say
// "still waiting" (they listed a bounced and a delivered recipient as
// waiting). A message all of whose recipients are finished has an empty
// recipients list. The relay's own entries are left as they were.
func TestQueueFinishedApartFromWaiting(t *testing.T) {
	t.Parallel()
	p := fq24Queue()
	st := openStore(t, nil)
	// gone@r.test's last attempt tried the primary, then the fallback.
	appendEvents(t, st,
		events.Event{Kind: events.RelayAttempt, Message: "q-mixed", Recipient: "gone@r.test"}.WithPayload(map[string]any{"attempt": 2, "path": "smart", "host": "mx1.r.test",
			"reply": map[string]any{"stage": "connect", "code": 0, "text": "connection refused"}}),
		events.Event{Kind: events.RelayAttempt, Message: "q-mixed", Recipient: "gone@r.test"}.WithPayload(map[string]any{"attempt": 2, "path": "smart", "host": "mx2.r.test",
			"reply": map[string]any{"stage": "rcpt", "code": 550, "enhanced": "5.1.1", "text": "no such user"}}),
	)
	ts := startServer(t, Options{Store: st, Relay: p})

	for _, state := range []string{"all", "bounced", "delivered"} {
		_, q := fq24QueueAnswer(t, ts.url, "?state="+state)
		if m, ok := q["q-mixed"]; ok {
			if got := fq24Addresses(m.Waiting); !slices.Equal(got, []string{"late@r.test deferred"}) {
				t.Errorf("state=%s: q-mixed's waiting is %v, want the deferred recipient alone: a bounced one does not wait", state, got)
			}
			if got := fq24Addresses(m.Finished); !slices.Equal(got, []string{"gone@r.test bounced"}) {
				t.Errorf("state=%s: q-mixed's finished is %v, want gone@r.test bounced", state, got)
			}
			if !slices.Equal(m.Recipients, []string{"late@r.test"}) {
				t.Errorf("state=%s: q-mixed's recipients are %v, want [late@r.test], those still waiting", state, m.Recipients)
			}
			if len(m.Finished) == 1 {
				f := m.Finished[0]
				if f.LastReply.Code != 550 || f.Category != "invalid-recipient" || f.Reason == "" || f.Advice == "" || f.Host != "mx2.r.test" {
					t.Errorf("state=%s: the bounced recipient lost what the relay said of it: %+v", state, f)
				}
				if len(f.Tried) != 2 || f.Tried[0].Host != "mx1.r.test" || f.Tried[1].Reply.Code != 550 {
					t.Errorf("state=%s: the bounced recipient's tried is %+v, want mx1.r.test (refused) then mx2.r.test (550), from its relay.attempt events", state, f.Tried)
				}
			}
		} else if state != "delivered" {
			t.Errorf("state=%s: q-mixed not listed: %v", state, q)
		}
		if m, ok := q["q-done"]; ok {
			if len(m.Waiting) != 0 || !slices.Equal(fq24Addresses(m.Finished), []string{"got@r.test delivered"}) {
				t.Errorf("state=%s: q-done lists waiting %v, finished %v; want no waiting recipient and got@r.test delivered finished", state,
					fq24Addresses(m.Waiting), fq24Addresses(m.Finished))
			}
			if m.Recipients == nil || len(m.Recipients) != 0 {
				t.Errorf("state=%s: q-done's recipients are %#v, want an empty list: none waits", state, m.Recipients)
			}
		} else if state != "bounced" {
			t.Errorf("state=%s: q-done not listed: %v", state, q)
		}
	}

	// An empty recipients list is [] in the JSON, as the spec's array.
	body, _ := fq24QueueAnswer(t, ts.url, "?state=delivered")
	if !bytes.Contains(body, []byte(`"recipients":[]`)) || bytes.Contains(body, []byte(`"recipients":null`)) {
		t.Errorf("a message with no recipient waiting: want \"recipients\":[], got %s", body)
	}

	// The relay's entries are its own: the answer did not change them.
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.queue[0]; !slices.Equal(e.Recipients, []string{"late@r.test", "gone@r.test"}) || len(e.Waiting) != 2 || e.Finished != nil {
		t.Errorf("the relay's own entry changed under the API: recipients %v, waiting %v, finished %v", e.Recipients, fq24Addresses(e.Waiting), e.Finished)
	}
}

// TestQueueWaitingAnswerUnchanged: the default listing (state=waiting),
// whose recipients all wait, is what it was: no finished key, waiting
// and recipients as the relay gave them; and a recipient waiting for its
// turn says so (not_begun), as relaylab queue show's "not begun".
func TestQueueWaitingAnswerUnchanged(t *testing.T) {
	t.Parallel()
	p := fq24Queue()
	p.queue = slices.DeleteFunc(p.queue, func(e QueueEntry) bool { return e.ID == "q-done" })
	p.queue[0].Waiting = p.queue[0].Waiting[:1]
	p.queue[0].Recipients = p.queue[0].Recipients[:1]
	ts := startServer(t, Options{Relay: p})
	body, q := fq24QueueAnswer(t, ts.url, "")
	if bytes.Contains(body, []byte(`"finished"`)) {
		t.Errorf("the default listing has a finished key: %s", body)
	}
	for _, want := range p.queue {
		got := q[want.ID]
		if !reflect.DeepEqual(got.Waiting, want.Waiting) || !slices.Equal(got.Recipients, want.Recipients) {
			t.Errorf("%s: waiting %+v, recipients %v; want the relay's %+v, %v", want.ID, got.Waiting, got.Recipients, want.Waiting, want.Recipients)
		}
	}
	if !bytes.Contains(body, []byte(`"state":"inflight","attempts":0,"path":"smart","category":"shaping"`)) || !strings.Contains(string(body), `"not_begun":true`) {
		t.Errorf("the recipient waiting for its turn: want state inflight and not_begun true in %s", body)
	}
	if strings.Count(string(body), `"not_begun"`) != 1 {
		t.Errorf("not_begun is given of a recipient that began, or not at all: %s", body)
	}
}

// TestSpecQueueRecipientFields: every field of a queue entry and of a
// queue recipient (finished and not_begun among them) is in openapi.yaml's
// QueueEntry and QueueRecipient, and every property the spec gives them
// is a field.
func TestSpecQueueRecipientFields(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{"QueueEntry": QueueEntry{}, "QueueRecipient": QueueRecipient{}} {
		props, ok := specProperties(t, name)
		if !ok {
			t.Fatalf("openapi.yaml has no schema %s: it moved; update this test", name)
		}
		fields := jsonFields(v)
		for key, f := range fields {
			if _, ok := props[key]; !ok {
				t.Errorf("%s.%s (JSON %q) is not in openapi.yaml's %s: add it there", name, f, key, name)
			}
		}
		for key := range props {
			if _, ok := fields[key]; !ok {
				t.Errorf("openapi.yaml's %s.%s is no field of %s: remove it, or add the field", name, key, name)
			}
		}
	}
	props, _ := specProperties(t, "QueueEntry")
	if d := props["waiting"]; !strings.Contains(d, "never a finished one") {
		t.Errorf("the spec's waiting does not say that it holds no finished recipient: %q", d)
	}
}
