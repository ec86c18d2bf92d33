package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// Bounds of the mx-tls check: every MX host is tried at once, up to
// mxTLSParallel, each within mxTLSTimeout, so that a probe whose port 25
// is blocked (a laptop, a cloud VM) waits seconds, not minutes.
const (
	mxTLSConnectTimeout = 10 * time.Second // one TCP connection
	mxTLSTimeout        = 30 * time.Second // one host: connections, greeting, EHLO, STARTTLS, handshake, QUIT
	mxTLSParallel       = 8
	mxTLSPort           = 25 // RFC 5321 4.5.4.2: senders deliver to port 25
	// mxTLSExpiring is how close to its expiry a certificate is warned
	// of: renewals that run automatically renew a month ahead, so one
	// this close has a renewal that failed.
	mxTLSExpiring = 14 * 24 * time.Hour
)

// ContextDialer opens connections; *net.Dialer is one.
type ContextDialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

var _ ContextDialer = (*net.Dialer)(nil)

// MXTLSOptions are the settings of the mx-tls check (Deps.MXTLS): how the
// probe connects to each MX host to check STARTTLS and its certificate,
// as senders that apply MTA-STS (RFC 8461 4) or DANE do.
type MXTLSOptions struct {
	// Helo is the name said in EHLO; "": the request's Helo, else the
	// address literal of the probe's own address ("[192.0.2.1]", RFC
	// 5321 4.1.3).
	Helo string
	// Roots are the CAs trusted for the MX certificates; nil: the
	// system's (CAPool adds a file's to them).
	Roots *x509.CertPool
	// LoopbackOnly connects only to loopback addresses, for zones served
	// on this machine (relaylab probe --zone): an MX host that resolves
	// elsewhere is not connected to. Without Port, nothing is: port 25 of
	// this machine is its own mail server, if any, not the zone's MX.
	LoopbackOnly bool
	// Port, when not 0, is dialled instead of 25; only with LoopbackOnly
	// (CheckOptions), since senders on the internet always use 25.
	Port int
	// ConnectTimeout bounds one TCP connection (0: 10s); Timeout one
	// host's whole exchange (0: 30s); Parallel the hosts tried at once
	// (0: 8).
	ConnectTimeout, Timeout time.Duration
	Parallel                int
	Dialer                  ContextDialer // nil: a net.Dialer
}

// CheckOptions reports settings that do not go together: a port out of
// range, or one other than 25 for hosts off this machine.
func (o *MXTLSOptions) CheckOptions() error {
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("port %d is not between 1 and 65535", o.Port)
	}
	if o.Port != 0 && !o.LoopbackOnly {
		return errors.New("a port other than 25 is only for MX hosts served on this machine (loopback only): senders on the internet always deliver to port 25")
	}
	return nil
}

// CAPool is the system's CA pool with the PEM certificates of file added
// (MXTLSOptions.Roots), or an error naming the file.
func CAPool(file string) (*x509.CertPool, error) { return caPool(file) }

// MXTLSReport is the result of the mx-tls check.
type MXTLSReport struct {
	Domain   string      `json:"domain"`
	Port     int         `json:"port"`
	Hosts    []MXTLSHost `json:"hosts"`
	Status   Status      `json:"status"`
	Findings []Finding   `json:"findings"`
}

// MXTLSHost is what the probe saw of one MX host's SMTP service.
type MXTLSHost struct {
	Host string `json:"host"`
	// Address is the IP and port of the connection the rest of the
	// fields come from (the first of the host's addresses that took
	// one, IPv4 first), or of the last tried when none did.
	Address string `json:"address,omitempty"`
	// Skipped says why the probe did not connect; absent when it did.
	Skipped string `json:"skipped,omitempty"`
	// Stage is where the exchange stopped short: connect, greeting,
	// ehlo, starttls or handshake; absent when it went through.
	Stage string `json:"stage,omitempty"`
	Error string `json:"error,omitempty"`
	// Greeting is the server's 220 line.
	Greeting    string         `json:"greeting,omitempty"`
	STARTTLS    bool           `json:"starttls"` // offered in the EHLO reply
	TLSVersion  string         `json:"tls_version,omitempty"`
	CipherSuite string         `json:"cipher_suite,omitempty"`
	Certificate *MXCertificate `json:"certificate,omitempty"`
	Status      Status         `json:"status"`

	quiet    bool                // Skipped for a reason the mx check reports
	timedOut bool                // Error is the probe's timeout
	version  uint16              // of TLSVersion
	chain    []*x509.Certificate // as the server sent it, leaf first
}

// MXCertificate is the certificate an MX host presented after STARTTLS,
// as the probe judged it at the time of the report.
type MXCertificate struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Names     []string  `json:"names"` // the DNS names of its subjectAltName
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Trusted: the chain the server sent leads to a trusted CA, for
	// server authentication, its expiry aside (see Expired).
	Trusted    bool   `json:"trusted"`
	TrustError string `json:"trust_error,omitempty"`
	// NameMatch: a name covers the MX host (RFC 8461 4.1: a "*." name
	// covers one leftmost label, RFC 6125 6.4.3).
	NameMatch bool `json:"name_match"`
	Expired   bool `json:"expired"` // past not_after, or before not_before
	// DaysLeft is whole days to not_after, negative once past it.
	DaysLeft int `json:"days_left"`
}

// startMXTLS starts the mx-tls check of the hosts of m when d asks for
// it, while the MTA-STS policy is fetched; the function it returns waits
// for it and judges it with that policy (nil: none). It returns nil when
// the check is off or there is no host to check.
func startMXTLS(ctx context.Context, d Deps, log *slog.Logger, req Request, m MXReport) func(*MTASTSPolicy) *MXTLSReport {
	if d.MXTLS == nil || m.NullMX || len(m.Hosts) == 0 {
		return func(*MTASTSPolicy) *MXTLSReport { return nil }
	}
	o := *d.MXTLS
	if o.Helo == "" {
		o.Helo = req.Helo
	}
	done := make(chan []MXTLSHost, 1)
	go func() { done <- probeMXHosts(ctx, o, d.Clock, m.Hosts) }()
	return func(p *MTASTSPolicy) *MXTLSReport {
		rep := judgeMXTLS(m.Domain, o, <-done, p, req.Watched, d.Clock.Now())
		log.Debug("mx-tls checked", "domain", m.Domain, "status", rep.Status)
		return rep
	}
}

// CheckMXTLS connects to the SMTP port of each host, as a sender does,
// and checks STARTTLS, the TLS version and the certificate (RFC 3207, RFC
// 8461 4); policy, the domain's MTA-STS policy or nil, makes a TLS
// failure of a host it covers an error.
func CheckMXTLS(ctx context.Context, clk clock.Clock, log *slog.Logger, o MXTLSOptions, domain string, hosts []MXHost, policy *MTASTSPolicy) MXTLSReport {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = discardLogger()
	}
	rep := judgeMXTLS(domain, o, probeMXHosts(ctx, o, clk, hosts), policy, false, clk.Now())
	log.Debug("mx-tls checked", "domain", domain, "status", rep.Status)
	return *rep
}

// probeMXHosts tries each host once (a host named twice is one host), at
// most o.Parallel at a time, and never more than there are hosts.
func probeMXHosts(ctx context.Context, o MXTLSOptions, clk clock.Clock, hosts []MXHost) []MXTLSHost {
	var uniq []MXHost
	seen := map[string]bool{}
	for _, h := range hosts {
		k := strings.ToLower(strings.TrimSuffix(h.Host, "."))
		if k != "" && !seen[k] {
			seen[k] = true
			uniq = append(uniq, h)
		}
	}
	limit := o.Parallel
	if limit <= 0 {
		limit = mxTLSParallel
	}
	sem := make(chan struct{}, min(limit, max(len(uniq), 1)))
	out := make([]MXTLSHost, len(uniq))
	var wg sync.WaitGroup
	for i, h := range uniq {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = probeMXHost(ctx, o, clk, h)
		})
	}
	wg.Wait()
	return out
}

// probeMXHost connects to the first address of h that takes a connection
// and runs the SMTP exchange there, all within o.Timeout.
func probeMXHost(ctx context.Context, o MXTLSOptions, clk clock.Clock, h MXHost) MXTLSHost {
	res := MXTLSHost{Host: strings.TrimSuffix(h.Host, ".")}
	switch {
	case isAddrLiteral(h.Host):
		res.Skipped, res.quiet = "the MX is an IP address, not a host name (mx.ip-literal): there is no name for a certificate to match", true
		return res
	case len(h.IPs) == 0:
		res.Skipped, res.quiet = "the host has no address (mx.no-address)", true
		return res
	}
	ips, skipped := mxTLSTargets(o, h)
	if len(ips) == 0 {
		res.Skipped = skipped
		return res
	}
	port := mxTLSPort
	if o.Port != 0 {
		port = o.Port
	}
	total := orDefault(o.Timeout, mxTLSTimeout)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	t := clk.AfterFunc(total, func() {
		cancel(&mxTimeoutError{fmt.Sprintf("no end to the exchange within %s, the time the probe allows one MX host", total)})
	})
	defer t.Stop()
	var dialer ContextDialer = &net.Dialer{}
	if o.Dialer != nil {
		dialer = o.Dialer
	}
	var conn net.Conn
	var err error
	for _, ip := range ips {
		res.Address = net.JoinHostPort(ip.String(), strconv.Itoa(port))
		conn, err = dialOne(ctx, clk, dialer, res.Address, orDefault(o.ConnectTimeout, mxTLSConnectTimeout))
		if err == nil {
			break
		}
	}
	if err != nil {
		res.Stage, res.Error = "connect", err.Error()
		res.timedOut = isMXTimeout(err)
		return res
	}
	mxSession(ctx, conn, o, res.Host, &res)
	return res
}

// dialOne connects to addr within d, said as the probe's timeout when it
// runs out.
func dialOne(ctx context.Context, clk clock.Clock, dialer ContextDialer, addr string, d time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	t := clk.AfterFunc(d, func() {
		cancel(&mxTimeoutError{fmt.Sprintf("no connection to %s within %s", addr, d)})
	})
	defer t.Stop()
	c, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, ioError(ctx, err)
	}
	return c, nil
}

// mxTimeoutError is a time limit of the check that ran out.
type mxTimeoutError struct{ what string }

func (e *mxTimeoutError) Error() string { return e.what }

func isMXTimeout(err error) bool {
	var te *mxTimeoutError
	return errors.As(err, &te)
}

// ioError is err, or the reason ctx was cancelled when it was: a
// connection closed by a timeout fails with "use of closed network
// connection", which says nothing of why.
func ioError(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && ctx.Err() != nil {
		return c
	}
	return err
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// mxTLSTargets returns the addresses of h to connect to, IPv4 first, or
// none and why not. Only addresses that senders on the internet can
// reach are dialled, so that the probe never knocks on this machine's or
// its network's own port 25, nor waits on an address reserved for
// documentation (the test zones use them), where nothing answers; with
// LoopbackOnly, only loopback addresses.
func mxTLSTargets(o MXTLSOptions, h MXHost) ([]netip.Addr, string) {
	if o.LoopbackOnly && o.Port == 0 {
		return nil, "zones served on this machine, and no port given for their MX hosts"
	}
	var ips, no []netip.Addr
	var why []string
	for _, ip := range h.IPs {
		ip = ip.Unmap()
		var reason string
		if o.LoopbackOnly {
			if !ip.IsLoopback() {
				reason = "not a loopback address"
			}
		} else {
			reason = undialled(ip)
		}
		if reason != "" {
			no = append(no, ip)
			why = append(why, fmt.Sprintf("%s is %s", ip, reason))
			continue
		}
		ips = append(ips, ip)
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		if a.Is4() == b.Is4() {
			return 0
		}
		if a.Is4() {
			return -1
		}
		return 1
	})
	if len(ips) == 0 {
		return nil, strings.Join(why, "; ")
	}
	return ips, ""
}

// undialled says why the probe does not connect to ip: an address that
// senders on the internet cannot reach (unroutable), or one reserved for
// documentation or other use where no mail server answers.
func undialled(ip netip.Addr) string {
	if why := unroutable(ip); why != "" {
		return why + ", which senders on the internet cannot reach"
	}
	for _, r := range reservedRanges {
		if r.p.Contains(ip) {
			return r.why
		}
	}
	return ""
}

var reservedRanges = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("192.0.2.0/24"), "reserved for documentation (RFC 5737)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "reserved for documentation (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "reserved for documentation (RFC 5737)"},
	{netip.MustParsePrefix("2001:db8::/32"), "reserved for documentation (RFC 3849)"},
	{netip.MustParsePrefix("0.0.0.0/8"), "reserved (\"this network\", RFC 6890)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space of carrier-grade NAT (RFC 6598), which senders on the internet cannot reach"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved for benchmarking (RFC 2544)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (RFC 1112)"},
}
