package probe

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/internal/testutil"
)

// startRbldnsd runs rbldnsd (a real DNSBL server) on a loopback port with
// the zones of testdata/probe/rbldnsd and returns its HOST:PORT.
func startRbldnsd(t *testing.T) string {
	t.Helper()
	bin := testutil.NeedCommand(t, "rbldnsd")
	dir, err := filepath.Abs("../testdata/probe/rbldnsd")
	if err != nil {
		t.Fatal(err)
	}
	for try := 0; try < 5; try++ {
		// Find a free UDP port; rbldnsd binds it a moment later.
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		pc.Close()
		args := []string{"-n", "-b", "127.0.0.1/" + strconv.Itoa(port), "-w", dir, "-t", "60", "-c", "0",
			"ip.rbl.test:ip4set:ip.txt", "dom.rbl.test:dnset:dom.txt", "broken.rbl.test:ip4set:broken.txt", "ip6.rbl.test:ip6trie:ip6.txt"}
		if os.Geteuid() == 0 {
			args = append([]string{"-u", rbldnsdUser()}, args...)
		}
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			cmd.Process.Kill() //nolint:errcheck
			<-exited
		})
		addr := "127.0.0.1:" + strconv.Itoa(port)
		// Wait until it answers (it loads its zones first), or has exited.
		// The deadline bounds a hang; it measures nothing.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			select {
			case err := <-exited:
				exited <- err
				t.Logf("rbldnsd exited (%v): %s", err, out.String())
				deadline = time.Time{}
				continue
			default:
			}
			m := new(dns.Msg)
			m.SetQuestion("2.0.0.127.ip.rbl.test.", dns.TypeA)
			c := &dns.Client{Timeout: 200 * time.Millisecond}
			// Only rbldnsd's own answer counts: the port was free a moment
			// ago, and a parallel test's DNS server that took it meanwhile
			// (rbldnsd then fails to bind) answers NOERROR with nothing.
			if r, _, err := c.Exchange(m, addr); err == nil && r.Rcode == dns.RcodeSuccess && listsTestPoint(r) {
				return addr
			}
		}
	}
	t.Fatal("rbldnsd did not start")
	return ""
}

// listsTestPoint reports whether r answers the RFC 5782 test point
// 127.0.0.2 with an address in 127.0.0.0/8, as rbldnsd serving ip.txt
// does.
func listsTestPoint(r *dns.Msg) bool {
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok && a.A.IsLoopback() {
			return true
		}
	}
	return false
}

func TestRbldnsd(t *testing.T) {
	t.Parallel()
	addr := startRbldnsd(t)
	r, err := resolver.New(resolver.Options{Servers: []string{addr}, Timeout: time.Second, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	zones := []Zone{
		{Zone: "ip.rbl.test", Kind: ZoneIP, Codes: map[string]string{"127.0.0.2": "listed", "127.0.0.4": "exploited"}, Errors: []string{"127.255.255.0/24"}},
		{Zone: "dom.rbl.test", Kind: ZoneDomain},
		{Zone: "broken.rbl.test", Kind: ZoneIP},
		{Zone: "absent.rbl.test", Kind: ZoneIP}, // not served: REFUSED
		{Zone: "ip6.rbl.test", Kind: ZoneIP, IPv6: true, TestListed: "::ffff:127.0.0.2", TestUnlisted: "::ffff:127.0.0.1"},
	}
	for i := range zones {
		if err := zones[i].Validate(""); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	h := CheckHealth(ctx, r, discard(), zones)
	for zone, want := range map[string]bool{"ip.rbl.test": true, "dom.rbl.test": true, "broken.rbl.test": false, "absent.rbl.test": false, "ip6.rbl.test": true} {
		if h[zone].Healthy != want {
			t.Errorf("%s healthy = %v (%s), want %v", zone, h[zone].Healthy, h[zone].Detail, want)
		}
	}
	tests := []struct {
		subject, zone string
		want          ListingStatus
		reason        bool
	}{
		{"192.0.2.10", "ip.rbl.test", Listed, true},
		{"192.0.2.11", "ip.rbl.test", Listed, true},
		{"192.0.2.12", "ip.rbl.test", NotListed, false},
		{"192.0.2.13", "ip.rbl.test", Unknown, false}, // error code
		{"198.51.100.5", "ip.rbl.test", Listed, true},
		{"198.51.100.77", "ip.rbl.test", NotListed, false}, // excluded
		{"192.0.2.12", "broken.rbl.test", Unknown, false},  // unhealthy: never clean
		{"192.0.2.12", "absent.rbl.test", Unknown, false},
		{"2001:db8::bad", "ip6.rbl.test", Listed, false},
		{"2001:db8:1:2::3", "ip6.rbl.test", Listed, false},
		{"2001:db8::1", "ip6.rbl.test", NotListed, false},
		{"spam.example", "dom.rbl.test", Listed, true},
		{"a.b.wild.example", "dom.rbl.test", Listed, false},
		{"clean.example", "dom.rbl.test", NotListed, false},
	}
	for _, tt := range tests {
		var ls []Listing
		if a, err := netip.ParseAddr(tt.subject); err == nil {
			ls = CheckIP(ctx, r, discard(), zones, h, a)
		} else {
			ls = CheckDomain(ctx, r, discard(), zones, h, tt.subject)
		}
		found := false
		for _, l := range ls {
			if l.Zone != tt.zone {
				continue
			}
			found = true
			if l.Status != tt.want {
				t.Errorf("%s on %s: %s (%s %v), want %s", tt.subject, tt.zone, l.Status, l.Error, l.Codes, tt.want)
			}
			if tt.reason && l.Reason == "" {
				t.Errorf("%s on %s: no TXT reason", tt.subject, tt.zone)
			}
			if l.Status == Listed && l.Server != addr {
				t.Errorf("answered by %q, want %q", l.Server, addr)
			}
		}
		if !found {
			t.Errorf("%s: zone %s not asked", tt.subject, tt.zone)
		}
	}
}

// rbldnsdUser is the unprivileged user rbldnsd switches to when started as
// root (it refuses to run as root): the Debian package's rbldns, or nobody.
func rbldnsdUser() string {
	if _, err := user.Lookup("rbldns"); err == nil {
		return "rbldns"
	}
	return "nobody"
}
