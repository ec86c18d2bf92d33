package web

import (
	"context"
	"fmt"
	"testing"
)

// countingRelay is a fakeRelay that counts the messages in its queue
// (QueueCountAPI) and remembers the filter it was last asked for.
type countingRelay struct {
	*fakeRelay
	asked QueueFilter
}

var _ QueueCountAPI = (*countingRelay)(nil)

func (c *countingRelay) QueueMessages(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue), nil
}

func (c *countingRelay) Queue(ctx context.Context, f QueueFilter) ([]QueueEntry, error) {
	c.mu.Lock()
	c.asked = f
	c.mu.Unlock()
	return c.fakeRelay.Queue(ctx, f)
}

// longQueue is a relay holding n messages of one waiting recipient each
// and depth recipients waiting in all; q-0 is the first.
func longQueue(n, depth int) *fakeRelay {
	f := newFakeRelay()
	for i := range n {
		f.queue = append(f.queue, QueueEntry{ID: fmt.Sprintf("q-%d", i), From: "app@example.org", Recipients: []string{fmt.Sprintf("r%d@example.test", i)}})
	}
	f.depth = depth
	return f
}

// TestQueueTotal: /api/v1/queue cut at its limit says so and how many
// messages wait in all, from a relay that counts them, and how many
// recipients; before, it answered the first 500 alone, and the Queue page
// said "500 message(s) waiting" where 900 waited.
func TestQueueTotal(t *testing.T) {
	t.Parallel()
	type answer struct {
		Queue             []QueueEntry `json:"queue"`
		Total             *int         `json:"total"`
		Truncated         bool         `json:"truncated"`
		RecipientsWaiting *int         `json:"recipients_waiting"`
	}
	check := func(t *testing.T, relay RelayAPI, url string, shown int, total *int, truncated bool, rcpts int) {
		t.Helper()
		ts := startServer(t, Options{Relay: relay})
		var a answer
		getJSON(t, ts.url+url, &a)
		got := func(p *int) string {
			if p == nil {
				return "absent"
			}
			return fmt.Sprint(*p)
		}
		if len(a.Queue) != shown || got(a.Total) != got(total) || a.Truncated != truncated || got(a.RecipientsWaiting) != fmt.Sprint(rcpts) {
			t.Errorf("GET %s: %d listed, total %s, truncated %v, recipients_waiting %s; want %d, %s, %v, %d",
				url, len(a.Queue), got(a.Total), a.Truncated, got(a.RecipientsWaiting), shown, got(total), truncated, rcpts)
		}
		if shown > 0 && a.Queue[0].ID != "q-0" {
			t.Errorf("GET %s: the list starts at %q, want q-0", url, a.Queue[0].ID)
		}
	}
	n := func(v int) *int { return &v }
	t.Run("counted", func(t *testing.T) {
		t.Parallel()
		c := &countingRelay{fakeRelay: longQueue(900, 1400)}
		check(t, c, "/api/v1/queue?limit=500", 500, n(900), true, 1400)
		if c.asked.Limit != 501 {
			t.Errorf("the relay was asked for %d messages, want 501: one more than shown says the list is cut", c.asked.Limit)
		}
	})
	t.Run("uncounted", func(t *testing.T) {
		t.Parallel()
		check(t, longQueue(900, 1400), "/api/v1/queue?limit=500", 500, nil, true, 1400)
	})
	t.Run("whole", func(t *testing.T) {
		t.Parallel()
		check(t, longQueue(500, 700), "/api/v1/queue?limit=500", 500, n(500), false, 700)
	})
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		check(t, &countingRelay{fakeRelay: longQueue(0, 0)}, "/api/v1/queue", 0, n(0), false, 0)
	})
}

// TestQueueListInSpec: openapi.yaml describes every field of QueueList.
func TestQueueListInSpec(t *testing.T) {
	t.Parallel()
	props, _ := specProperties(t, "QueueList")
	for key, field := range jsonFields(QueueList{}) {
		if props[key] == "" {
			t.Errorf("openapi.yaml: schema QueueList does not describe %q (QueueList.%s)", key, field)
		}
	}
}
