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
	"time"
)

// tlsConfigFor loads the listener's certificate, or makes (once per sink)
// a self-signed one for every listener hostname.
func (s *Sink) tlsConfigFor(lc ListenerConfig) (*tls.Config, error) {
	if lc.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(lc.CertFile, lc.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("sink: listener %s: loading its certificate: %w (check cert_file and key_file)", lc.Name, err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10}, nil
	}
	if s.cert == nil {
		var names []string
		for _, l := range s.cfg.Listeners {
			names = append(names, l.Hostname)
		}
		cert, err := selfSigned(names, s.clock.Now())
		if err != nil {
			return nil, fmt.Errorf("sink: making a self-signed certificate: %w", err)
		}
		s.cert = cert
	}
	return &tls.Config{Certificates: []tls.Certificate{*s.cert}, MinVersion: tls.VersionTLS10}, nil
}

// selfSigned makes an ECDSA P-256 certificate valid for a year from now.
func selfSigned(names []string, now time.Time) (*tls.Certificate, error) {
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
		Subject:      pkix.Name{CommonName: names[0], Organization: []string{"relaylab sink (self-signed)"}},
		DNSNames:     names,
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
