package relay

import (
	"net"
	"sync"
)

// liveConns are the relay's open connections to servers, so that a
// shutdown whose deadline has passed can close them: a job blocked in a
// read would otherwise hold the shutdown for up to data_timeout (10 min).
type liveConns struct {
	mu     sync.Mutex
	conns  map[*liveConn]struct{}
	closed bool // closeAll ran: what is dialed after it is closed at once
}

type liveConn struct {
	net.Conn
	set  *liveConns
	once sync.Once
}

// track registers c until it is closed.
func (s *liveConns) track(c net.Conn) net.Conn {
	lc := &liveConn{Conn: c, set: s}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return lc
	}
	if s.conns == nil {
		s.conns = map[*liveConn]struct{}{}
	}
	s.conns[lc] = struct{}{}
	s.mu.Unlock()
	return lc
}

// closeAll closes every open connection; reads and writes in progress
// fail at once.
func (s *liveConns) closeAll() {
	s.mu.Lock()
	s.closed = true
	open := make([]*liveConn, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.Close()
	}
}

func (c *liveConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.set.mu.Lock()
		delete(c.set.conns, c)
		c.set.mu.Unlock()
	})
	return err
}

// NetConn is the connection under the relay's wrapper, as tls.Conn's is.
func (c *liveConn) NetConn() net.Conn { return c.Conn }
