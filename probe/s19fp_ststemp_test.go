package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
)

// closedAddr is a loopback address where nothing listens: a connection
// to it is refused. Its port stays bound (a socket that never listens)
// until the test ends, so that no server a parallel test starts is given
// it, as a listener closed at once could be.
func closedAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}

// downClient is ps.client() that connects anew for each fetch and, while
// down is set, dials a port where nothing listens.
func downClient(t *testing.T, ps *policyServer, down *atomic.Bool) *http.Client {
	t.Helper()
	c := ps.client()
	tr := c.Transport.(*http.Transport)
	tr.DisableKeepAlives = true
	closed := closedAddr(t)
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		addr := ps.Listener.Addr().String()
		if down.Load() {
			addr = closed
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return c
}

// TestMTASTSFetchTemporaryIsUnknown: a policy host that refuses the
// connection, answers 503 or 429, or does not answer in time leaves the
// check incomplete (unknown, a warning), as senders keep their cached
// policy; a 404, a redirect and the wrong media type are still the
// domain's errors. Before, every fetch failure was an error.
func TestMTASTSFetchTemporaryIsUnknown(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	ctx := context.Background()
	var down atomic.Bool
	down.Store(true)
	ps := newPolicyServer(t)
	refused := CheckMTASTS(ctx, r, discard(), downClient(t, ps, &down), "good.auth.test", nil, nil)

	status := func(code int, ctype string) *http.Client {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.WriteHeader(code)
			w.Write([]byte(goodPolicy)) //nolint:errcheck
		}))
		t.Cleanup(srv.Close)
		return (&policyServer{Server: srv}).client()
	}
	// A server that takes the request and never answers it.
	hang := make(chan struct{})
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hang); slow.Close() })
	slowClient := (&policyServer{Server: slow}).client()
	slowClient.Timeout = 200 * time.Millisecond
	// A server that takes the connection and never speaks TLS.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 8)
	t.Cleanup(func() {
		mute.Close()
		for {
			select {
			case c := <-accepted:
				c.Close()
			default:
				return
			}
		}
	})
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			accepted <- c // held open, silent, until the test ends
		}
	}()
	muteClient := (&policyServer{Server: slow}).client()
	muteTr := muteClient.Transport.(*http.Transport)
	muteTr.TLSHandshakeTimeout = 200 * time.Millisecond
	muteTr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, mute.Addr().String())
	}

	for _, tt := range []struct {
		name   string
		client *http.Client
		status Status
		sev    Severity
		want   string
	}{
		{"refused", nil, StatusUnknown, SevWarning, "connection refused, so this check is incomplete"},
		{"503", status(503, "text/plain"), StatusUnknown, SevWarning, "answered 503 Service Unavailable, want 200, so this check is incomplete"},
		{"429", status(429, "text/plain"), StatusUnknown, SevWarning, "answered 429"},
		{"timeout", slowClient, StatusUnknown, SevWarning, "no answer within 200ms, the time the probe allows a policy fetch"},
		{"handshake timeout", muteClient, StatusUnknown, SevWarning, "did not complete the TLS handshake within 200ms"},
		{"404", status(404, "text/plain"), StatusError, SevError, "answered 404 Not Found, want 200, so senders cannot apply the policy"},
		{"media type", status(200, "text/html"), StatusError, SevError, `has media type "text/html", want text/plain`},
	} {
		rep := refused
		if tt.client != nil {
			rep = CheckMTASTS(ctx, r, discard(), tt.client, "good.auth.test", nil, nil)
		}
		var f *Finding
		for i := range rep.Findings {
			if rep.Findings[i].Code == "mta-sts.fetch" && strings.Contains(rep.Findings[i].Message, tt.want) {
				f = &rep.Findings[i]
			}
		}
		if f == nil || f.Severity != tt.sev || rep.Status != tt.status {
			t.Errorf("%s: status %s, findings %+v; want %s and an mta-sts.fetch %s saying %q", tt.name, rep.Status, rep.Findings, tt.status, tt.sev, tt.want)
			continue
		}
		if strings.Contains(f.Message, "Client.Timeout") || strings.Contains(f.Message, "deadline exceeded") {
			t.Errorf("%s: %q gives Go's words for a timeout", tt.name, f.Message)
		}
	}
}

// TestMonitorPolicyHostDownIsNoChange: a watched domain's policy host
// that refuses connections for two runs and comes back is no
// probe.changed either way (README: a change is never caused by a
// temporary error). Before, the record without its policy was confirmed
// as a record-changed, and the return as another.
func TestMonitorPolicyHostDownIsNoChange(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	ps := newPolicyServer(t)
	ps.set("mta-sts.good.auth.test", goodPolicy)
	var down atomic.Bool
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.Domains = Domains("good.auth.test")
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: downClient(t, ps, &down)})
	if err != nil {
		t.Fatal(err)
	}
	var all []Change
	for i, d := range []bool{false, false, true, true, true, false, false} {
		down.Store(d)
		ch, err := m.cycle(context.Background(), true, false)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		all = append(all, ch...)
		vc.Advance(time.Hour)
	}
	for _, c := range all {
		if strings.HasSuffix(c.Key, "mta-sts") {
			t.Errorf("change %+v: the policy host was only unreachable", c)
		}
	}
	// The policy changing for real is still a change.
	ps.set("mta-sts.good.auth.test", strings.Replace(goodPolicy, "604800", "1209600", 1))
	var got []Change
	for i := 0; i < 2; i++ {
		ch, err := m.cycle(context.Background(), true, false)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ch...)
		vc.Advance(time.Hour)
	}
	if len(got) != 1 || got[0].Key != "domain good.auth.test mta-sts" || got[0].Kind != ChangeRecordChanged {
		t.Errorf("changes %+v, want the policy's change", got)
	}
}

// TestMTASTSPolicyHostLookupFailureIsUnknown: a DNS server that fails
// the lookup of the policy host (SERVFAIL) leaves the check incomplete;
// a policy host that does not exist is the domain's error.
func TestMTASTSPolicyHostLookupFailureIsUnknown(t *testing.T) {
	t.Parallel()
	r, srv := spfWorld(t, []string{
		`_mta-sts.down.b.test. 60 IN TXT "v=STSv1; id=1"`,
		`_mta-sts.gone.b.test. 60 IN TXT "v=STSv1; id=1"`,
	})
	srv.Set("mta-sts.down.b.test.", dnstest.ServFail)
	hc, err := NewHTTPClientWith(r, HTTPOptions{Timeout: time.Second, LoopbackOnly: true, Port: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		domain string
		status Status
	}{{"down.b.test", StatusUnknown}, {"gone.b.test", StatusError}} {
		rep := CheckMTASTS(context.Background(), r, discard(), hc, tt.domain, nil, nil)
		if rep.Status != tt.status {
			t.Errorf("%s: status %s, want %s: %+v", tt.domain, rep.Status, tt.status, rep.Findings)
		}
	}
}
