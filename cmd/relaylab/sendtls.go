package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/textsafe"
)

// tlsPeerLines describe the certificate the server showed in st, as send
// prints them under "TLS started": whom it names (subject and names),
// who issued it, how long it is valid, and whether it verifies for host.
// With --insecure the handshake did not check it, and the last line says
// what a check would have found: a server a sender will meet with
// verification on (MTA-STS, DANE, a relay path's verify: true) fails
// there for that reason.
func tlsPeerLines(st tls.ConnectionState, host string, roots *x509.CertPool, insecure bool, now time.Time) []string {
	if len(st.PeerCertificates) == 0 {
		return []string{"the server showed no certificate"}
	}
	leaf := st.PeerCertificates[0]
	names := append([]string{}, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	const most = 6
	shown := names
	if len(shown) > most {
		shown = append(shown[:most:most], fmt.Sprintf("and %d more", len(names)-most))
	}
	nameList := "none"
	if len(shown) > 0 {
		nameList = strings.Join(shown, ", ")
	}
	lines := []string{
		"certificate: " + textsafe.Escape(leaf.Subject.String()) + "; names: " + textsafe.Escape(nameList),
		"issued by: " + textsafe.Escape(leaf.Issuer.String()) + selfSigned(leaf),
		validity(leaf, now),
	}
	err := verifyPeer(st, host, roots, now)
	switch {
	case err == nil && insecure:
		lines = append(lines, fmt.Sprintf("not checked (--insecure), and it would pass: it is valid for %s and chains to a trusted root (the system's, or --ca-file's)", host))
	case err == nil:
		lines = append(lines, fmt.Sprintf("verified: valid for %s and chains to a trusted root (the system's, or --ca-file's)", host))
	case insecure:
		lines = append(lines, fmt.Sprintf("not checked (--insecure); a check would fail: %s. A sender that verifies (MTA-STS enforce, DANE, a relay path with verify: true) refuses this server for it",
			textsafe.Escape(err.Error())))
	default:
		// Not reached: the handshake verified it already, or failed.
		lines = append(lines, "verification: "+textsafe.Escape(err.Error()))
	}
	return lines
}

// selfSigned marks a certificate that names itself as its issuer and
// is signed by its own key (whether or not it may sign others, which
// CheckSignatureFrom would ask).
func selfSigned(c *x509.Certificate) string {
	if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
		return " (self-signed)"
	}
	return ""
}

// validity is the certificate's time window, and where now is in it.
func validity(c *x509.Certificate, now time.Time) string {
	const day = 24 * time.Hour
	span := "valid " + c.NotBefore.UTC().Format(time.DateOnly) + " to " + c.NotAfter.UTC().Format(time.DateOnly)
	switch {
	case now.Before(c.NotBefore):
		return span + ": not valid yet"
	case now.After(c.NotAfter):
		return span + fmt.Sprintf(": EXPIRED %d days ago", int(now.Sub(c.NotAfter)/day))
	}
	return span + fmt.Sprintf(" (%d days left)", int(c.NotAfter.Sub(now)/day))
}

// verifyPeer checks the server's chain for host as a verifying client
// would: roots (nil: the system's), the certificates the server sent as
// intermediates, host as a name or an IP address.
func verifyPeer(st tls.ConnectionState, host string, roots *x509.CertPool, now time.Time) error {
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	// DNSName may be an IP address: Verify checks it against the
	// certificate's IP addresses then (x509.Certificate.VerifyHostname).
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, DNSName: host}
	_, err := st.PeerCertificates[0].Verify(opts)
	return err
}

// caPool is the system's roots and the certificates of the PEM file
// name (send's --ca-file).
func caPool(name string) (*x509.CertPool, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, inputError("ca-file", name, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, usageError("--ca-file %s: no PEM certificate in it (want blocks of -----BEGIN CERTIFICATE-----)", name)
	}
	return pool, nil
}
