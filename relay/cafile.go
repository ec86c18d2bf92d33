package relay

import (
	"crypto/x509"
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
