package sink

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// tlsConfigFor loads the listener's certificate, or makes a self-signed
// one for it alone, named after its own hostname and address: each
// listener is a virtual MX host of its own, and a client that checks the
// name it connected to sees that host's (newListener calls it once per
// listener, at start).
func (s *Sink) tlsConfigFor(lc ListenerConfig) (*tls.Config, error) {
	if lc.CertFile != "" {
		// Validate has loaded them: an error here is a file changed since.
		k := "sink.listeners[" + strconv.Itoa(slices.IndexFunc(s.cfg.Listeners, func(l ListenerConfig) bool { return l.Name == lc.Name })) + "]"
		cert, err := loadCertFiles(k, &lc)
		if err != nil {
			return nil, err
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10}, nil
	}
	names, ips := certNames([]ListenerConfig{lc})
	cert, err := selfSigned(names, ips, s.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("sink: making a self-signed certificate for listener %s: %w", lc.Name, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS10}, nil
}

// certNames are the names a self-signed certificate is for: each of the
// listeners' hostname (an address literal, [192.0.2.1] or
// [IPv6:2001:db8::1], as an IP address), and the address each listens on,
// so that a client that dials an IP address and trusts the certificate
// can verify it. A listener on loopback or on every address (0.0.0.0, ::)
// is reached at 127.0.0.1 and ::1 too.
func certNames(ls []ListenerConfig) (names []string, ips []net.IP) {
	addIP := func(ip net.IP) {
		for _, have := range ips {
			if have.Equal(ip) {
				return
			}
		}
		ips = append(ips, ip)
	}
	for _, l := range ls {
		if lit, ok := strings.CutPrefix(l.Hostname, "["); ok {
			lit = strings.TrimSuffix(lit, "]")
			if len(lit) > 5 && strings.EqualFold(lit[:5], "IPv6:") {
				lit = lit[5:]
			}
			if ip := net.ParseIP(lit); ip != nil {
				addIP(ip)
			}
		} else if !slices.Contains(names, l.Hostname) {
			names = append(names, l.Hostname)
		}
		host, _, err := net.SplitHostPort(l.Listen)
		if err != nil {
			continue
		}
		ip := net.ParseIP(host)
		if host == "" || ip != nil && (ip.IsUnspecified() || ip.IsLoopback()) {
			addIP(net.IPv4(127, 0, 0, 1))
			addIP(net.IPv6loopback)
		}
		if ip != nil && !ip.IsUnspecified() {
			addIP(ip)
		}
	}
	return names, ips
}

// selfSigned makes an ECDSA P-256 certificate valid for a year from now,
// for the DNS names names and the IP addresses ips.
func selfSigned(names []string, ips []net.IP, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 96))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName(names, ips), Organization: []string{"relaylab sink (self-signed)"}},
		DNSNames:     names,
		IPAddresses:  ips,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// commonName is the subject's name: the first DNS name, or else the first
// address (a listener named by an address literal alone).
func commonName(names []string, ips []net.IP) string {
	if len(names) > 0 {
		return names[0]
	}
	if len(ips) > 0 {
		return ips[0].String()
	}
	return "relaylab sink"
}
