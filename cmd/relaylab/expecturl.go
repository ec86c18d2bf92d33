package main

import (
	"context"
	"net"
	"net/http"
	neturl "net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// serveClient is the HTTP client expect --url asks the serve with: it
// gives up after timeout, and notes what each new connection's server
// sent first (first), so that an answer that is no HTTP can be told by
// what it was: an SMTP server's greeting at a --url that names the
// sink's or the relay's port.
func serveClient(timeout time.Duration) (*http.Client, *firstBytes) {
	first := &firstBytes{}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &notingConn{Conn: c, first: first}, nil
	}
	return &http.Client{Timeout: timeout, Transport: tr}, first
}

// firstBytes keeps the start of what the server sent first on the last
// connection opened.
type firstBytes struct {
	mu sync.Mutex
	b  []byte
}

// reset forgets what was noted, before a request.
func (f *firstBytes) reset() {
	f.mu.Lock()
	f.b = nil
	f.mu.Unlock()
}

func (f *firstBytes) note(b []byte) {
	f.mu.Lock()
	f.b = append(f.b[:0], b[:min(len(b), 200)]...)
	f.mu.Unlock()
}

// smtpGreeting is the first line noted when it is an SMTP server's
// greeting (RFC 5321 4.2: a three-digit code, then a space or a hyphen;
// 4.3.1: 220, or 554 or 421 for a server that refuses service), else "".
func (f *firstBytes) smtpGreeting() string {
	if f == nil {
		return ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	line, _, _ := strings.Cut(string(f.b), "\n")
	line = strings.TrimRight(line, "\r")
	if !greetingRE.MatchString(line) {
		return ""
	}
	return line
}

var greetingRE = regexp.MustCompile(`^(220|421|554)([ -]|$)`)

// notingConn notes the first bytes it reads.
type notingConn struct {
	net.Conn
	first *firstBytes
	read  bool // the transport's one reading goroutine alone sets it
}

func (c *notingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.read {
		c.read = true
		c.first.note(p[:n])
	}
	return n, err
}

// urlFix is the --url to give instead of raw, which lacks its scheme
// ("127.0.0.1:8025", or "localhost:8025", which parses as the scheme
// localhost) or has one that is not HTTP's, and raw itself, both with
// any password hidden; "" when that is not what is wrong.
func urlFix(raw string) (fix, shown string) {
	fixed := raw
	if !strings.Contains(raw, "://") {
		fixed = "http://" + raw
	}
	u, err := neturl.Parse(fixed)
	if err != nil || u.Host == "" || (u.Scheme == "http" || u.Scheme == "https") && fixed == raw {
		return "", ""
	}
	shown = u.Redacted()
	if fixed != raw {
		shown = strings.TrimPrefix(shown, "http://")
	}
	u.Scheme = "http"
	return u.Redacted(), shown
}
