package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/relaylab/relaylab/probe"
)

// TestProbeBIMILogoOffline: relaylab probe fetches the BIMI logo as it
// fetches an MTA-STS policy: with --zone, from the loopback address of the
// l= host, trusting --mta-sts-ca, on --mta-sts-port; the SVG's faults are
// findings, and --json carries what each finding proposes to publish.
// --no-bimi-logo checks the record alone.
func TestProbeBIMILogoOffline(t *testing.T) {
	t.Parallel()
	caFile, cert := testCA(t, "brand.bimi.test")
	var hits atomic.Int64
	port := serveHTTPS(t, cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/logo.svg" || r.Host != "brand.bimi.test" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		// SVG Tiny 1.2 as an editor exports it: x and y on the root, no
		// title, profile "tiny".
		w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny" x="0px" y="0px" viewBox="0 0 64 64"><rect width="64" height="64"/></svg>`)) //nolint:errcheck
	}))
	zone := filepath.Join(t.TempDir(), "bimi.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN bimi.test.
$TTL 60
@             IN SOA ns.bimi.test. hostmaster.bimi.test. 1 3600 600 86400 60
_dmarc        IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@bimi.test"
brand         IN A 127.0.0.1
default._bimi IN TXT "v=BIMI1; l=https://brand.bimi.test/logo.svg"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"probe", "bimi.test", "--zone", zone, "--no-blocklists", "--timeout", "1s", "--mta-sts-ca", caFile, "--mta-sts-port", port}
	code, out, errOut := runIn(t, context.Background(), args...)
	if code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", code, errOut)
	}
	for _, want := range []string{"bimi.svg-profile", `has baseProfile="tiny"`, "bimi.svg-xy", "bimi.svg-title", "bimi.no-vmc", "bimi.dmarc-policy"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("the logo was fetched %d times, want once", hits.Load())
	}

	_, out, _ = runIn(t, context.Background(), append(args, "--json")...)
	var rep probe.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	var pub *probe.Publish
	for _, f := range rep.BIMI.Findings {
		if f.Code == "bimi.dmarc-policy" {
			pub = f.Publish
		}
	}
	if want := (probe.Publish{Name: "_dmarc.bimi.test", Type: "TXT", Value: "v=DMARC1; p=quarantine; rua=mailto:dmarc@bimi.test"}); pub == nil || *pub != want {
		t.Errorf("--json: bimi.dmarc-policy publish %+v, want %+v", pub, want)
	}
	if !strings.Contains(out, `"publish": {`) {
		t.Errorf("--json has no publish object:\n%s", out)
	}

	code, out, _ = runIn(t, context.Background(), append(args, "--no-bimi-logo")...)
	if strings.Contains(out, "bimi.svg-") || hits.Load() != 2 || code != 1 {
		t.Errorf("--no-bimi-logo: exit %d, %d fetches in all, output:\n%s\nwant the record checked alone", code, hits.Load(), out)
	}
}

// TestProbeNoBIMILogoNeedsDomain: --no-bimi-logo without a domain would be
// ignored without a word; it is refused.
func TestProbeNoBIMILogoNeedsDomain(t *testing.T) {
	t.Parallel()
	code, _, errOut := runIn(t, context.Background(), "probe", "--ip", "192.0.2.1", "--no-bimi-logo", "--no-blocklists", "--resolver", "127.0.0.1:9", "--timeout", "1s")
	if code != 2 || !strings.Contains(errOut, "--no-bimi-logo needs a DOMAIN") {
		t.Errorf("exit %d, stderr %q; want 2 naming the flag", code, errOut)
	}
}

// serveHTTPS serves h over TLS with cert on a port of 127.0.0.1 until the
// test ends, and returns the port.
func serveHTTPS(t *testing.T, cert tls.Certificate, h http.Handler) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	return port
}
