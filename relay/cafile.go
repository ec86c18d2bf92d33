package relay

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// loadCAFile reads a path's ca_file: the PEM certificates of the CAs its
// server's certificate is checked against. An error says what is wrong
// with the file and what it should hold.
func loadCAFile(name string) (*x509.CertPool, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%v; give a PEM file with the certificate of the CA that signed the server's certificate", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----); give a PEM file with the certificate of the CA that signed the server's certificate, not a key", name)
	}
	return pool, nil
}

// caFileRefused is err, a failed TLS handshake on path p, with the
// path's ca_file named when no CA of the file signed the server's
// certificate: such a path trusts the file alone, not this machine's
// CAs (tlsConfig), so the reply, and the rule of classify.yaml that
// reads it, point at the file rather than at the machine's trust store.
func caFileRefused(p *path, err error) error {
	var unknown x509.UnknownAuthorityError
	var se *stageError
	if p.roots == nil || !errors.As(err, &unknown) || !errors.As(err, &se) {
		return err
	}
	return &stageError{se.stage, fmt.Errorf("%w; the path trusts only the CAs in its ca_file %s", se.err, p.cfg.CAFile)}
}
