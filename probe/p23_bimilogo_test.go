package probe

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// goodSVG is a logo that keeps to the SVG Tiny PS basics the probe checks.
const goodSVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100">
<title>Brand</title>
<rect width="100" height="100" fill="#ffffff"/>
<circle cx="50" cy="50" r="40" fill="#c00"/>
</svg>
`

// logoServer serves BIMI logos over HTTPS on loopback, each host's own
// (by the Host header), with httptest's certificate (valid for
// example.com and *.example.com).
type logoServer struct {
	*httptest.Server
	mu    sync.Mutex
	logos map[string]logo // host -> what it serves
	hits  atomic.Int64
}

type logo struct {
	status int    // 0: 200
	ctype  string // "": image/svg+xml
	body   []byte
	header map[string]string
}

func newLogoServer(t *testing.T) *logoServer {
	t.Helper()
	ls := &logoServer{logos: map[string]logo{}}
	ls.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.hits.Add(1)
		ls.mu.Lock()
		l, ok := ls.logos[r.Host]
		ls.mu.Unlock()
		if !ok || r.URL.Path != "/logo.svg" && r.URL.Path != "/logo.svgz" {
			http.NotFound(w, r)
			return
		}
		for k, v := range l.header {
			w.Header().Set(k, v)
		}
		ct := l.ctype
		if ct == "" {
			ct = "image/svg+xml"
		}
		w.Header().Set("Content-Type", ct)
		if l.status != 0 {
			w.WriteHeader(l.status)
		}
		w.Write(l.body) //nolint:errcheck
	}))
	t.Cleanup(ls.Close)
	return ls
}

func (ls *logoServer) set(host string, l logo) {
	ls.mu.Lock()
	ls.logos[host] = l
	ls.mu.Unlock()
}

// probeClient is the probe's HTTPS client as relaylab probe --zone
// --mta-sts-ca --mta-sts-port builds it, on deps.Resolver.
func (ls *logoServer) probeClient(t *testing.T, deps Deps) *http.Client {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ls.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ls.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	c, err := NewHTTPClientWith(deps.Resolver, HTTPOptions{Timeout: 5 * time.Second, LoopbackOnly: true, CAFile: ca, Port: p})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s)) //nolint:errcheck
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBIMILogoChecked: the logo of l= is fetched over HTTPS from a
// loopback server through the probe's own client, and each way it falls
// short of SVG Tiny PS (or of being fetched) is a finding that says what
// is wrong and what to do; a good logo is a fact.
func TestBIMILogoChecked(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	ls := newLogoServer(t)
	client := ls.probeClient(t, Deps{Resolver: r})
	svg := func(root, inner string) []byte {
		return []byte(`<?xml version="1.0"?>` + "\n" + `<svg xmlns="http://www.w3.org/2000/svg" ` + root + ">\n" + inner + "\n</svg>\n")
	}
	const ok = `version="1.2" baseProfile="tiny-ps" viewBox="0 0 64 64"`
	const title = `<title>Brand</title>`
	for _, tt := range []struct {
		host   string
		path   string // "" /logo.svg
		logo   logo
		code   string
		sev    Severity
		want   string
		status Status
	}{
		{host: "good", logo: logo{body: []byte(goodSVG)}, code: "bimi.logo", sev: SevInfo, want: `title "Brand", square viewBox "0 0 100 100"`, status: StatusOK},
		{host: "svgz", path: "/logo.svgz", logo: logo{body: gzipped(t, goodSVG)}, code: "bimi.logo", sev: SevInfo, want: "keeps to the basics of SVG Tiny PS", status: StatusOK},
		// Illustrator writes namespaces as entities of the DOCTYPE.
		{host: "entity", logo: logo{body: []byte(`<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [
	<!ENTITY ns_svg "http://www.w3.org/2000/svg">
]>
<svg xmlns="&ns_svg;" version="1.2" baseProfile="tiny-ps" viewBox="0 0 10 10"><title>Brand</title><rect width="10" height="10"/></svg>`)},
			code: "bimi.logo", sev: SevInfo, status: StatusOK},
		{host: "profile", logo: logo{body: svg(`version="1.2" baseProfile="tiny" viewBox="0 0 64 64"`, title)}, code: "bimi.svg-profile", sev: SevError, want: `has baseProfile="tiny"`, status: StatusError},
		{host: "version", logo: logo{body: svg(`version="1.1" baseProfile="tiny-ps" viewBox="0 0 64 64"`, title)}, code: "bimi.svg-profile", sev: SevError, want: `version="1.1"`, status: StatusError},
		{host: "notitle", logo: logo{body: svg(ok, `<rect width="64" height="64"/>`)}, code: "bimi.svg-title", sev: SevError, want: "add <title>YOUR BRAND</title>", status: StatusError},
		{host: "script", logo: logo{body: svg(ok, title+`<script>alert(1)</script>`)}, code: "bimi.svg-script", sev: SevError, want: "<script> (line 3)", status: StatusError},
		{host: "onload", logo: logo{body: svg(ok+` onload="x()"`, title)}, code: "bimi.svg-script", sev: SevError, want: "onload= on <svg>", status: StatusError},
		{host: "href", logo: logo{body: svg(ok+` xmlns:xlink="http://www.w3.org/1999/xlink"`, title+`<use xlink:href="https://cdn.example.net/shape.svg#a"/>`)}, code: "bimi.svg-external", sev: SevError, want: `href="https://cdn.example.net/shape.svg#a" on <use>`, status: StatusError},
		{host: "bitmap", logo: logo{body: svg(ok, title+`<image width="64" height="64" href="data:image/png;base64,iVBORw0KGgo="/>`)}, code: "bimi.svg-external", sev: SevError, want: "embeds other content (<image> (line 3))", status: StatusError},
		{host: "fillurl", logo: logo{body: svg(ok, title+`<rect width="64" height="64" fill="url(http://x.example.net/g.svg#p)"/>`)}, code: "bimi.svg-external", sev: SevError, want: `fill="http://x.example.net/g.svg#p"`, status: StatusError},
		{host: "animate", logo: logo{body: svg(ok, title+`<rect width="64" height="64"><animate attributeName="x" to="10" dur="1s"/></rect>`)}, code: "bimi.svg-animation", sev: SevError, want: "<animate> (line 3)", status: StatusError},
		{host: "xy", logo: logo{body: svg(ok+` x="0px" y="0px"`, title)}, code: "bimi.svg-xy", sev: SevError, want: `x="0px" and y="0px"`, status: StatusError},
		{host: "wide", logo: logo{body: svg(`version="1.2" baseProfile="tiny-ps" viewBox="0 0 200 100"`, title)}, code: "bimi.svg-square", sev: SevError, want: `not square (viewBox "0 0 200 100")`, status: StatusError},
		{host: "nobox", logo: logo{body: svg(`version="1.2" baseProfile="tiny-ps"`, title)}, code: "bimi.svg-square", sev: SevWarning, want: "has no viewBox", status: StatusWarning},
		{host: "big", logo: logo{body: svg(ok, title+strings.Repeat(`<rect width="1" height="1"/>`, 2000))}, code: "bimi.logo-size", sev: SevError, want: "larger than 32 KiB", status: StatusError},
		{host: "html", logo: logo{body: []byte("<html><body>Not here</body></html>"), ctype: "text/html"}, code: "bimi.svg-root", sev: SevError, want: "its root element is <html>", status: StatusError},
		{host: "broken", logo: logo{body: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><title>x</svg>`)}, code: "bimi.svg-xml", sev: SevError, want: "not well-formed XML", status: StatusError},
		{host: "ctype", logo: logo{body: []byte(goodSVG), ctype: "application/octet-stream"}, code: "bimi.logo-type", sev: SevWarning, want: `media type "application/octet-stream", not image/svg+xml`, status: StatusWarning},
		{host: "gone", logo: logo{status: 404}, code: "bimi.logo-fetch", sev: SevError, want: "answered 404 Not Found, want 200, so receivers cannot fetch the logo either", status: StatusError},
		{host: "moved", logo: logo{status: 301, header: map[string]string{"Location": "https://elsewhere.example.com/logo.svg"}}, code: "bimi.logo-fetch", sev: SevError, want: "redirects are not followed", status: StatusError},
		{host: "busy", logo: logo{status: 503}, code: "bimi.logo-fetch", sev: SevWarning, want: "may be temporary", status: StatusUnknown},
	} {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			host := tt.host + ".example.com"
			path := tt.path
			if path == "" {
				path = "/logo.svg"
			}
			if err := srv.AddString("example.com. 60 IN SOA ns.example.com. h.example.com. 1 60 60 60 60",
				host+". 60 IN A 127.0.0.1",
				"default._bimi."+host+`. 60 IN TXT "v=BIMI1; l=https://`+host+path+`; a=https://`+host+`/vmc.pem"`); err != nil {
				t.Fatal(err)
			}
			ls.set(host, tt.logo)
			rep := CheckBIMIWith(context.Background(), r, discard(), client, host, reject(host))
			var got *Finding
			for i, f := range rep.Findings {
				if f.Code == tt.code && strings.Contains(f.Message, tt.want) {
					got = &rep.Findings[i]
				}
			}
			switch {
			case got == nil:
				t.Fatalf("%s: no %s finding saying %q: %+v", host, tt.code, tt.want, rep.Findings)
			case got.Severity != tt.sev:
				t.Errorf("%s: %s %s %q, want %s", host, got.Code, got.Severity, got.Message, tt.sev)
			case got.Name != "https://"+host+path:
				t.Errorf("%s: %s names %q, want the logo's URL", host, got.Code, got.Name)
			}
			if rep.Status != tt.status {
				t.Errorf("%s: status %s, want %s: %+v", host, rep.Status, tt.status, rep.Findings)
			}
		})
	}
}

// reject is a DMARC check of domain that finds p=reject, so that BIMI's
// DMARC requirement is met.
func reject(domain string) *DMARCReport {
	return &DMARCReport{Domain: domain, PolicyDomain: domain, Record: "v=DMARC1; p=reject", Parsed: &DMARCRecord{Policy: "reject", Pct: 100}}
}

// TestBIMILogoOffLoopbackNotFetched: with the loopback-only client of
// relaylab probe --zone, a logo host that resolves elsewhere is not
// contacted; the check is unknown, not failed, and says how to check it.
func TestBIMILogoOffLoopbackNotFetched(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	ls := newLogoServer(t)
	if err := srv.AddString("example.com. 60 IN SOA ns.example.com. h.example.com. 1 60 60 60 60",
		"far.example.com. 60 IN A 192.0.2.1",
		`default._bimi.far.example.com. 60 IN TXT "v=BIMI1; l=https://far.example.com/logo.svg; a=https://far.example.com/vmc.pem"`); err != nil {
		t.Fatal(err)
	}
	rep := CheckBIMIWith(context.Background(), r, discard(), ls.probeClient(t, Deps{Resolver: r}), "far.example.com", reject("far.example.com"))
	if msgs, ok := findingWith(rep.Findings, "bimi.logo-fetch", "far.example.com resolves to 192.0.2.1, not a loopback address"); !ok || rep.Status != StatusUnknown {
		t.Errorf("status %s, bimi.logo-fetch %q, want unknown and the host named as off loopback", rep.Status, msgs)
	}
	if n := ls.hits.Load(); n != 0 {
		t.Errorf("the logo server was asked %d times, want none", n)
	}
}

// TestRunFetchesBIMILogoOnlyWhenAsked: Run fetches the logo with
// Deps.HTTPClient only with Deps.BIMILogo, so that a caller that passes a
// client for MTA-STS alone sends nothing more.
func TestRunFetchesBIMILogoOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	ls := newLogoServer(t)
	if err := srv.AddString("example.com. 60 IN SOA ns.example.com. h.example.com. 1 60 60 60 60",
		`_dmarc.example.com. 60 IN TXT "v=DMARC1; p=reject"`,
		"brand.example.com. 60 IN A 127.0.0.1",
		`default._bimi.brand.example.com. 60 IN TXT "v=BIMI1; l=https://brand.example.com/logo.svg; a=https://brand.example.com/vmc.pem"`); err != nil {
		t.Fatal(err)
	}
	ls.set("brand.example.com", logo{body: []byte(`<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 10 10"><script/></svg>`)})
	deps := Deps{Resolver: r, Logger: discard()}
	deps.HTTPClient = ls.probeClient(t, deps)
	req := Request{Domain: "brand.example.com", NoBlocklists: true}
	rep := Run(context.Background(), deps, req)
	if c := codes(rep.BIMI.Findings); c["bimi.svg-script"] != "" || ls.hits.Load() != 0 {
		t.Errorf("without BIMILogo: findings %v, %d fetches; want the record checked alone", c, ls.hits.Load())
	}
	deps.BIMILogo = true
	rep = Run(context.Background(), deps, req)
	if c := codes(rep.BIMI.Findings); c["bimi.svg-script"] != SevError || c["bimi.svg-title"] != SevError {
		t.Errorf("with BIMILogo: findings %v, want bimi.svg-script and bimi.svg-title", c)
	}
}
