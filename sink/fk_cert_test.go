package sink

import (
	"crypto/tls"
	"testing"
)

// Each listener is a virtual MX host of its own name: without cert_file
// it serves a self-signed certificate for that name (and its address)
// alone. Every listener served one certificate, named after the first
// listener's hostname, with all the others' names in it.
func TestFKListenerOwnCertificate(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Listeners = []ListenerConfig{
			DefaultListener("mx1", "127.0.0.1:0", "mx1.sink.test"),
			DefaultListener("mx2", "127.0.0.1:0", "mx2.sink.test"),
		}
		for i := range c.Listeners {
			c.Listeners[i].TLS = "implicit"
		}
	})
	for name, host := range map[string]string{"mx1": "mx1.sink.test", "mx2": "mx2.sink.test"} {
		tc, err := tls.Dial("tcp", addrOf(t, s, name), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		cert := tc.ConnectionState().PeerCertificates[0]
		tc.Close()
		if cert.Subject.CommonName != host || len(cert.DNSNames) != 1 || cert.DNSNames[0] != host {
			t.Errorf("listener %s (%s): certificate of %q, DNS names %q; want %s alone", name, host, cert.Subject.CommonName, cert.DNSNames, host)
		}
		if err := cert.VerifyHostname("127.0.0.1"); err != nil {
			t.Errorf("listener %s: %v, want its loopback address in its certificate", name, err)
		}
	}
}
