package sink

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// TestAcceptingSaysWhenAListenerStops: Accepting names each listener,
// nil while it accepts and net.ErrClosed once the sink stops, for
// serve's /readyz.
func TestAcceptingSaysWhenAListenerStops(t *testing.T) {
	s, _ := testSink(t, nil, nil)
	got := s.Accepting()
	if len(got) != 1 || got["mx"] != nil {
		t.Fatalf("a running sink: Accepting() = %v, want mx accepting", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Shutdown(ctx)
	if err := s.Accepting()["mx"]; !errors.Is(err, net.ErrClosed) {
		t.Errorf("a stopped sink: Accepting()[mx] = %v, want net.ErrClosed", err)
	}
}
