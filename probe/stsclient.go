package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/relaylab/relaylab/internal/resolver"
)

// HTTPOptions are the settings of the client that fetches MTA-STS
// policies (NewHTTPClientWith). The policy is always fetched over HTTPS
// with the certificate checked for mta-sts.DOMAIN (RFC 8461 3.3); these
// let a test or an offline probe serve it from this machine.
type HTTPOptions struct {
	Timeout time.Duration
	// LoopbackOnly connects only to loopback addresses (127.0.0.0/8,
	// ::1): a policy host that resolves elsewhere is an error.
	LoopbackOnly bool
	// CAFile names a PEM file of CA certificates trusted besides the
	// system's, such as a private or test CA.
	CAFile string
	// Port, when not 0, is dialled instead of 443. Only with
	// LoopbackOnly: senders on the internet always use 443.
	Port int
}

// NewHTTPClient returns a client for MTA-STS policies that resolves host
// names through r (so that probes and policies agree on DNS), dials an IP
// address in a URL as it is, never follows redirects, and gives up after
// timeout.
func NewHTTPClient(r resolver.Resolver, timeout time.Duration) *http.Client {
	c, _ := NewHTTPClientWith(r, HTTPOptions{Timeout: timeout})
	return c
}

// NewLoopbackHTTPClient is NewHTTPClient that connects to loopback
// addresses only (127.0.0.0/8, ::1), for probes of zones served on this
// machine (relaylab probe --zone): a policy host that resolves elsewhere is
// an error, and nothing is sent off the machine.
func NewLoopbackHTTPClient(r resolver.Resolver, timeout time.Duration) *http.Client {
	c, _ := NewHTTPClientWith(r, HTTPOptions{Timeout: timeout, LoopbackOnly: true})
	return c
}

// NewHTTPClientWith is NewHTTPClient with the settings of o. It fails
// when o.CAFile cannot be read or holds no PEM certificate, or when o.Port
// is out of range or given without o.LoopbackOnly.
func NewHTTPClientWith(r resolver.Resolver, o HTTPOptions) (*http.Client, error) {
	if o.Port != 0 && !o.LoopbackOnly {
		return nil, errors.New("a port other than 443 is only for policies served on this machine (loopback only)")
	}
	if o.Port < 0 || o.Port > 65535 {
		return nil, fmt.Errorf("port %d is not between 1 and 65535", o.Port)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if o.CAFile != "" {
		pool, err := caPool(o.CAFile)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if o.Port != 0 && port == "443" {
			port = strconv.Itoa(o.Port)
		}
		ips, err := dialAddrs(ctx, r, host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("%s has no A or AAAA record", host)
		}
		if o.LoopbackOnly {
			all := ips
			ips = slices.DeleteFunc(slices.Clone(ips), func(a netip.Addr) bool { return !a.Unmap().IsLoopback() })
			if len(ips) == 0 {
				return nil, &NotLoopbackError{Host: host, Addrs: all}
			}
		}
		var d net.Dialer
		var lastErr error
		for _, ip := range ips {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return c, nil
			}
			lastErr = err
		}
		return nil, lastErr
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// NotLoopbackError is a connection that a loopback-only client
// (HTTPOptions.LoopbackOnly) did not make: the host resolves to no
// loopback address. It is a limit the probe sets itself, so that nothing
// leaves the machine, not a fault of the host: CheckMTASTS reports the
// policy as not checked (status unknown), not as broken.
type NotLoopbackError struct {
	Host  string
	Addrs []netip.Addr
}

func (e *NotLoopbackError) Error() string {
	return fmt.Sprintf("%s resolves to %s, not a loopback address: with zones served on this machine, nothing is sent off it", e.Host, joinAddrs(e.Addrs))
}

// dialAddrs returns the addresses to dial for host: host itself when it
// is an IP address (there is nothing to ask DNS), else its A and AAAA
// records through r.
func dialAddrs(ctx context.Context, r resolver.Resolver, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	return addrs(ctx, r, host)
}

// caPool is the system's CA pool (empty when the system has none) with
// the certificates of the PEM file added.
func caPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: give the PEM file of the CA that signed the test servers' certificates", file)
	}
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")", file)
	}
	return pool, nil
}
