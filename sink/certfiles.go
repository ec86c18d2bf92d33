package sink

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"

	"github.com/relaylab/relaylab/internal/config"
)

// loadCertFiles reads a listener's cert_file and key_file and makes its
// certificate of them, as the sink does when it starts: Validate calls it
// so that a missing, unreadable or mismatched file is the configuration's
// error, at its key and line, rather than a failed start. k is the
// listener's key (sink.listeners[0]).
func loadCertFiles(k string, l *ListenerConfig) (tls.Certificate, error) {
	const where = "a name that is not absolute is taken from the configuration file's directory, and without cert_file and key_file the sink makes a self-signed certificate"
	certPEM, err := os.ReadFile(l.CertFile)
	if err != nil {
		return tls.Certificate{}, config.Errorf(k+".cert_file", "%v: the listener's certificate cannot be read; give the PEM file of the certificate, intermediates after it (%s)", err, where)
	}
	keyPEM, err := os.ReadFile(l.KeyFile)
	if err != nil {
		return tls.Certificate{}, config.Errorf(k+".key_file", "%v: the private key of the listener's certificate cannot be read; give the PEM file of that key (%s)", err, where)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// Go's own words say what it found (and "PEM inputs may have been
		// switched" when they were); the key named is the file at fault:
		// cert_file when it has no certificate, key_file otherwise.
		at := ".key_file"
		if !hasCertificate(certPEM) {
			at = ".cert_file"
		}
		return tls.Certificate{}, config.Errorf(k+at, "%v (cert_file %s, key_file %s): no TLS certificate can be made of them; cert_file takes the certificate in PEM (BEGIN CERTIFICATE), key_file its own private key in PEM (BEGIN PRIVATE KEY, RSA or EC PRIVATE KEY)", err, l.CertFile, l.KeyFile)
	}
	return cert, nil
}

// hasCertificate reports whether data holds a PEM certificate that
// parses, first of its certificates.
func hasCertificate(data []byte) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" {
			_, err := x509.ParseCertificate(b.Bytes)
			return err == nil
		}
	}
}

// sameLeaf reports whether a and b have the same first certificate.
func sameLeaf(a, b tls.Certificate) bool {
	return len(a.Certificate) > 0 && len(b.Certificate) > 0 && bytes.Equal(a.Certificate[0], b.Certificate[0])
}

// warnCertChanged warns of each listener of cfg whose certificate files
// hold another certificate than the one it serves: a reload does not
// reach TLS (nor a listener's address or hostname), so the certificate in
// use stays until a restart. Reload has checked the files (Validate); a
// bad one keeps the old rules too. A change of the cert_file or key_file
// names is said by the caller that compares configurations.
func (s *Sink) warnCertChanged(cfg Config) {
	for _, lc := range cfg.Listeners {
		l := s.listenerNamed(lc.Name)
		if l == nil || l.tlsConfig == nil || lc.CertFile == "" || lc.CertFile != l.cfg.CertFile || lc.KeyFile != l.cfg.KeyFile {
			continue
		}
		cert, err := loadCertFiles("", &lc)
		if err == nil && !sameLeaf(cert, l.tlsConfig.Certificates[0]) {
			s.log.Warn("sink: the listener's certificate files changed, but a reload does not reach TLS: the certificate in use stays until a restart", "listener", lc.Name, "cert_file", lc.CertFile)
		}
	}
}
