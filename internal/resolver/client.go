package resolver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
)

// Options configure a Client. Zero values take the defaults noted.
type Options struct {
	// Servers are HOST:PORT of recursive resolvers, tried in order.
	// Empty: the nameservers of /etc/resolv.conf.
	Servers []string
	// Timeout bounds one attempt at one server (default 2s).
	Timeout time.Duration
	// Attempts is how many rounds over all servers are made (default 2).
	Attempts int
	// MaxInFlight bounds concurrent queries (default 32).
	MaxInFlight int
	// CacheSize bounds the cache in entries (default 10000; -1 disables).
	CacheSize int
	// UDPSize is the EDNS0 buffer size announced (default 1232, the size
	// that avoids IP fragmentation; RFC 6891 6.2.5).
	UDPSize uint16
	Clock   clock.Clock  // expires cache entries (default clock.Real)
	Logger  *slog.Logger // default: discard
}

// Client is a Resolver that asks configured servers.
type Client struct {
	servers  []string
	timeout  time.Duration
	attempts int
	udpSize  uint16
	sem      chan struct{}
	cache    *cache
	log      *slog.Logger
}

var _ Resolver = (*Client)(nil)

// New returns a Client. It fails when no server is configured and none can
// be read from /etc/resolv.conf, or when a server is not HOST:PORT.
func New(opts Options) (*Client, error) {
	if len(opts.Servers) == 0 {
		s, err := SystemServers("/etc/resolv.conf")
		if err != nil {
			return nil, fmt.Errorf("resolver: no servers configured and %w; pass a server such as 127.0.0.1:53", err)
		}
		opts.Servers = s
	}
	servers := make([]string, len(opts.Servers))
	for i, s := range opts.Servers {
		n, err := NormalizeServer(s)
		if err != nil {
			return nil, err
		}
		servers[i] = n
	}
	opts.Servers = servers
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 2
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 32
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = 10000
	}
	if opts.UDPSize == 0 {
		opts.UDPSize = 1232
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Client{
		servers:  append([]string(nil), opts.Servers...),
		timeout:  opts.Timeout,
		attempts: opts.Attempts,
		udpSize:  opts.UDPSize,
		sem:      make(chan struct{}, opts.MaxInFlight),
		log:      opts.Logger,
	}
	if opts.CacheSize > 0 {
		c.cache = newCache(opts.Clock, opts.CacheSize)
	}
	return c, nil
}

// Flush forgets every cached answer, so that the next lookups ask the
// servers again: the probe monitor flushes before each run, so that a
// change it confirms over two runs was read from DNS twice, not once and
// then again from the cache for as long as its TTL.
func (c *Client) Flush() {
	if c.cache != nil {
		c.cache.flush()
	}
}

// Servers returns the servers the client asks, in order.
func (c *Client) Servers() []string { return append([]string(nil), c.servers...) }

// NormalizeServer checks a server address and adds port 53 when it has
// none ("192.0.2.1" -> "192.0.2.1:53", "::1" -> "[::1]:53"); a host
// name in place of the IP address is refused.
func NormalizeServer(s string) (string, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Port() != 0 {
		return ap.String(), nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return netip.AddrPortFrom(a, 53).String(), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || port == "" {
		return "", fmt.Errorf("resolver: server %q is not IP:PORT (for example 127.0.0.1:53)", s)
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		// An address with a port that is no port: not a host name.
		return "", fmt.Errorf("resolver: server %q: port %q is not a number from 1 to 65535; give the server as IP:PORT, such as %s", s, port, net.JoinHostPort(host, "53"))
	}
	// A server named by a host name would need DNS to be found itself:
	// the system's resolver, which a test pointed at its own server
	// means not to ask.
	return "", fmt.Errorf("resolver: server %q names the DNS server by its host name %q, and finding that name would need DNS itself: give the server's IP address and port, such as 127.0.0.1:%s", s, host, port)
}

// SystemServers reads the nameserver lines of a resolv.conf file.
func SystemServers(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" {
			if s, err := NormalizeServer(fields[1]); err == nil {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no nameserver", path)
	}
	return out, nil
}

// Exchange sends q's first question to the servers and returns the first
// definite reply (NOERROR or NXDOMAIN). q is not modified.
//
// Of q's flags only two are sent on, so that a caller can opt in to DNSSEC
// answers: the DO bit of its OPT record (RFC 3225: send RRSIGs) and AD
// (RFC 6840 5.7: tell whether the resolver validated). The reply's
// Msg.AuthenticatedData is then the resolver's claim that it validated the
// answer, worth only as much as the path to that resolver (RFC 4035
// 4.9.3). Every other query, the typed lookups included, goes without DO.
func (c *Client) Exchange(ctx context.Context, q *dns.Msg) (Reply, error) {
	if q == nil || len(q.Question) != 1 {
		return Reply{}, &Error{Kind: ErrMalformed, Detail: "a query must hold exactly one question"}
	}
	qq := q.Question[0]
	name := dns.Fqdn(strings.ToLower(qq.Name))
	do := false
	if o := q.IsEdns0(); o != nil {
		do = o.Do()
	}
	// Replies to DNSSEC queries (RRSIGs, AD) are cached apart from the rest.
	key := cacheKey{name, qq.Qtype, do || q.AuthenticatedData}
	if c.cache != nil {
		if r, ok := c.cache.get(key); ok {
			if r.Msg.Rcode == dns.RcodeNameError {
				return Reply{}, &Error{Name: name, Qtype: qq.Qtype, Server: r.Server, Kind: ErrNXDomain, Detail: "cached"}
			}
			return r, nil
		}
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Reply{}, &Error{Name: name, Qtype: qq.Qtype, Kind: ErrTimeout, Detail: ctx.Err().Error()}
	}
	defer func() { <-c.sem }()

	m := new(dns.Msg)
	m.SetQuestion(name, qq.Qtype)
	m.RecursionDesired = true
	m.AuthenticatedData = q.AuthenticatedData
	m.SetEdns0(c.udpSize, do) // RFC 6891: announce a larger UDP payload
	var last *Error
	for round := 0; round < c.attempts; round++ {
		for _, srv := range c.servers {
			r, err := c.ask(ctx, m, srv)
			if err == nil {
				reply := Reply{Source: Source{Server: srv, TTL: minTTL(r)}, Msg: r}
				if c.cache != nil {
					c.cache.put(key, reply)
				}
				return reply, nil
			}
			last = err
			if errors.Is(err, ErrNXDomain) {
				if c.cache != nil && r != nil {
					c.cache.put(key, Reply{Source: Source{Server: srv, TTL: minTTL(r)}, Msg: r})
				}
				return Reply{}, err
			}
			if ctx.Err() != nil {
				return Reply{}, last
			}
			c.log.Debug("dns attempt failed", "name", name, "type", dns.TypeToString[qq.Qtype], "server", srv, "err", err)
		}
	}
	return Reply{}, last
}

// ask makes one attempt at one server: UDP, then TCP if the reply was
// truncated (RFC 7766 5).
func (c *Client) ask(ctx context.Context, m *dns.Msg, srv string) (*dns.Msg, *Error) {
	q := m.Question[0]
	fail := func(kind error, detail string) *Error {
		return &Error{Name: q.Name, Qtype: q.Qtype, Server: srv, Kind: kind, Detail: detail}
	}
	r, err := c.exchangeNet(ctx, m, srv, "udp")
	if err == nil && r.Truncated {
		r, err = c.exchangeNet(ctx, m, srv, "tcp")
		if err == nil && r.Truncated {
			return nil, fail(ErrMalformed, "truncated reply over TCP")
		}
	}
	if err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			return nil, fail(ErrTimeout, err.Error())
		case isNetError(err):
			c.log.Debug("dns server unreachable", "server", srv, "err", err)
			return nil, fail(ErrUnreachable, unreachableText(err))
		default:
			return nil, fail(ErrMalformed, err.Error())
		}
	}
	if len(r.Question) != 1 || !SameName(r.Question[0].Name, q.Name) || r.Question[0].Qtype != q.Qtype {
		return nil, fail(ErrMalformed, "the reply answers another question")
	}
	switch r.Rcode {
	case dns.RcodeSuccess:
		return r, nil
	case dns.RcodeNameError:
		return r, fail(ErrNXDomain, "") // the reply is kept for the negative cache
	case dns.RcodeServerFailure:
		return nil, fail(ErrServFail, "")
	default:
		// A DNS server did answer, and said no: RFC 1035 4.1.1 RCODE 5
		// (REFUSED), or another code that is not an answer.
		return nil, fail(ErrRefused, "the server answered with rcode "+dns.RcodeToString[r.Rcode])
	}
}

// SameName reports whether two domain names in zone-file form are the same
// name on the wire, ignoring ASCII case (RFC 4343). miekg/dns hands a
// received name over escaped ("postmaster\\@example.com.", "\\(x\\)"),
// while a name built from an SPF macro or a record's text often is not:
// the two forms of one name differ as strings, never as labels.
func SameName(a, b string) bool {
	wa, ok := wireName(a)
	if !ok {
		return strings.EqualFold(a, b)
	}
	wb, ok := wireName(b)
	if !ok || len(wa) != len(wb) {
		return false
	}
	for i := range wa {
		if lowerASCII(wa[i]) != lowerASCII(wb[i]) {
			return false
		}
	}
	return true
}

// wireName packs name, made absolute, into its uncompressed wire form.
func wireName(name string) ([]byte, bool) {
	buf := make([]byte, 256) // RFC 1035 2.3.4: 255 octets at most
	n, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return nil, false
	}
	return buf[:n], true
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func (c *Client) exchangeNet(ctx context.Context, m *dns.Msg, srv, network string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	dc := &dns.Client{Net: network, Timeout: c.timeout, UDPSize: c.udpSize}
	conn, err := dc.DialContext(ctx, srv)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// miekg/dns reads until its deadline even when ctx is cancelled:
	// closing the connection ends the read at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	r, _, err := dc.ExchangeWithConnContext(ctx, m, conn)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return r, err
}

// isNetError tells a network failure (connection refused, unreachable) from
// a reply that did not parse.
func isNetError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !strings.Contains(op.Err.Error(), "dns:")
}

// unreachableText is why nothing answered, in words without the socket's
// addresses ("read udp 127.0.0.1:41815->127.0.0.1:44253: read: ..."): the
// local port changes on every run and the server is named already.
func unreachableText(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		msg := op.Err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return msg
	}
	return err.Error()
}

func minTTL(m *dns.Msg) time.Duration {
	var min uint32
	first := true
	for _, rr := range m.Answer {
		if t := rr.Header().Ttl; first || t < min {
			min, first = t, false
		}
	}
	if first {
		// RFC 2308 5: a negative answer lives as long as the SOA's
		// minimum and TTL allow; without an SOA it is not cached.
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				min = soa.Minttl
				if soa.Hdr.Ttl < min {
					min = soa.Hdr.Ttl
				}
			}
		}
	}
	return time.Duration(min) * time.Second
}
