package web

import (
	"context"
	"strings"
	"testing"
	"time"
)

// liveRelay and liveSink are fakes that offer the live counts.
type liveRelay struct{ *fakeRelay }

func (liveRelay) OldestWaiting(context.Context) (time.Duration, error) { return 95 * time.Second, nil }
func (liveRelay) InProgress() (int, int)                               { return 2, 5 }

type liveSink struct{ *fakeSink }

func (liveSink) OpenSessions() int { return 7 }

// TestMetricsLive: the age of the oldest waiting message, the sessions
// open in the sink and the submission, and the deliveries under way are
// gauges read on scrape from the components that offer them, and absent
// from a scrape of a server without them.
func TestMetricsLive(t *testing.T) {
	t.Parallel()
	relay, sink, _ := filledFakes()
	ts := startServer(t, Options{Relay: liveRelay{relay}, Sink: liveSink{sink}})
	code, _, body := do(t, "GET", ts.url+"/metrics", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		"relaylab_queue_oldest_seconds 95",
		`relaylab_sessions_open{by="sink"} 7`,
		`relaylab_sessions_open{by="submission"} 2`,
		"relaylab_deliveries_in_progress 5",
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	bare := startServer(t, Options{})
	_, _, body = do(t, "GET", bare.url+"/metrics", "")
	for _, name := range []string{"relaylab_queue_oldest_seconds", "relaylab_sessions_open", "relaylab_deliveries_in_progress"} {
		if strings.Contains(string(body), name) {
			t.Errorf("a server without relay and sink has %s", name)
		}
	}
}
