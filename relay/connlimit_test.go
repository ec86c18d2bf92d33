package relay

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/events"
)

// socketCounter is a Dialer that counts the relay's own sockets, from the
// dial until the relay closes them: the count max_connections bounds.
type socketCounter struct {
	mu         sync.Mutex
	open, peak int
}

var _ Dialer = (*socketCounter)(nil)

func (s *socketCounter) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.open++
	s.peak = max(s.peak, s.open)
	s.mu.Unlock()
	return &countedSocket{Conn: c, s: s}, nil
}

type countedSocket struct {
	net.Conn
	s    *socketCounter
	once sync.Once
}

// Close closes the socket first and counts it closed only then, so that a
// slot given back before the socket is closed shows as one too many.
func (c *countedSocket) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.s.mu.Lock()
		c.s.open--
		c.s.mu.Unlock()
	})
	return err
}

// TestConnectionsCountedUntilClosed checks max_connections on the relay's
// side, from connect until the socket is closed, over sessions that end by
// QUIT after messages_per_connection and sessions broken by a 421.
func TestConnectionsCountedUntilClosed(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "busy") {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "closing, try later")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MaxConnections = 3
	cfg.Paths[0].MessagesPerConnection = 2
	sockets := &socketCounter{}
	h := newHarness(t, cfg, Options{Dialer: sockets})
	var ids []string
	for i := 0; i < 60; i++ {
		to := "r@r.test"
		if i%7 == 3 {
			to = "busy@r.test"
		}
		ids = append(ids, h.enqueue("a@s.test", to))
	}
	h.runUntil("all tried", func() bool {
		return len(h.events(events.Filter{Kinds: []string{events.RelayAttempt}})) >= len(ids)
	})
	sockets.mu.Lock()
	defer sockets.mu.Unlock()
	if sockets.peak > 3 {
		t.Errorf("the relay had %d sockets open to the destination at once, max_connections 3", sockets.peak)
	}
	if sockets.peak == 0 {
		t.Errorf("no socket counted: the dialer was not used")
	}
}
