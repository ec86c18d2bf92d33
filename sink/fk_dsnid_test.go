package sink

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dsn"
)

// Two sinks on two stores, each bouncing its first message at the same
// virtual time, send DSNs of different Message-IDs: receivers drop a
// message whose Message-ID they have seen, and both were
// "sink-bounce-1@<host>". The retry of one bounce keeps its Message-ID,
// so that a receiver that took a try whose reply was lost drops the next.
func TestFKDSNMessageIDsDiffer(t *testing.T) {
	t.Parallel()
	ids := map[string][]string{} // by sink, each try's Message-ID
	for _, name := range []string{"a", "b"} {
		v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		s, st := testSink(t, v, nil)
		got := make(chan string, 4)
		tries := 0
		s.SetBounceSubmitter("the test's relay", func(ctx context.Context, to string, msg []byte) error {
			p, err := dsn.Parse(msg)
			if err != nil {
				t.Errorf("sink %s: the DSN does not parse: %v", name, err)
				return err
			}
			got <- p.Header.Get("Message-ID")
			if tries++; name == "a" && tries == 1 {
				return errors.New("the test's relay fails the first try")
			}
			return nil
		})
		sendBounce5m(t, s, st, "sender@x.test")
		advanceWhenWaiting(t, v, 5*time.Minute)
		ids[name] = append(ids[name], nextID(t, got, nil))
		if name == "a" {
			// The retry, a minute after the failed try once it is armed.
			ids[name] = append(ids[name], nextID(t, got, func() { v.Advance(time.Minute) }))
		}
		waitBounces(t, st, 1)
	}
	a, b := ids["a"], ids["b"]
	if a[0] == "" || a[0] != a[1] {
		t.Errorf("the two tries of a DSN have Message-IDs %q: want one, the same", a)
	}
	if a[0] == b[0] {
		t.Errorf("two stores' first DSNs share Message-ID %s", a[0])
	}
}

// nextID waits for the next Message-ID on got, calling tick (when set)
// while none is there.
func nextID(t *testing.T, got <-chan string, tick func()) string {
	t.Helper()
	for i := 0; i < 4000; i++ {
		select {
		case id := <-got:
			return id
		case <-time.After(5 * time.Millisecond):
			if tick != nil {
				tick()
			}
		}
	}
	t.Fatal("no DSN was handed over")
	return ""
}
