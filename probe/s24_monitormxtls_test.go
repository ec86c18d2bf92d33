package probe

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
)

// TestS24MonitorMXTLS: probe.mx_tls has the watchlist connect to its
// domains' MX hosts as relaylab probe does (here on mx_tls_port of a
// loopback MX host where nothing listens: unreachable), and without it
// the watchlist connects to none.
func TestS24MonitorMXTLS(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	host := "tlsmon.example.com"
	if err := srv.AddString("example.com. 60 IN SOA ns.example.com. h.example.com. 1 60 60 60 60",
		host+". 60 IN MX 10 mx."+host+".",
		"mx."+host+". 60 IN A 127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(closedAddr(t), ":")
	p, _ := strconv.Atoi(port)
	for _, on := range []bool{true, false} {
		vc := clock.NewVirtual(epoch)
		st := openStore(t, vc)
		cfg := DefaultConfig()
		cfg.Domains = Domains(host)
		cfg.BIMILogo = false
		cfg.MXTLS = on
		cfg.Resolvers = []string{srv.Addr} // on loopback, as mx_tls_port wants
		if on {
			cfg.MXTLSPort = p
		}
		m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		var rep Report
		if err := json.Unmarshal(latestReport(t, st, host), &rep); err != nil {
			t.Fatal(err)
		}
		switch {
		case !on && rep.MXTLS != nil:
			t.Errorf("mx_tls off, yet the watchlist checked the MX hosts: %+v", rep.MXTLS)
		case on && (rep.MXTLS == nil || len(rep.MXTLS.Findings) == 0 || rep.MXTLS.Findings[0].Code != "mx-tls.unreachable"):
			t.Errorf("mx_tls on: %+v, want mx-tls.unreachable for mx.%s", rep.MXTLS, host)
		}
	}
}

// TestS24MXTLSConfig: mx_tls_port and mx_tls_ca go with mx_tls only, and
// a port other than 25 with resolvers on loopback only (MX hosts served
// on this machine), as --mx-port goes with --zone.
func TestS24MXTLSConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.MXTLSPort = 2525 }, "probe.mx_tls_port: applies only with probe.mx_tls: true"},
		{func(c *Config) { c.MXTLS, c.MXTLSPort, c.Resolvers = true, 2525, []string{"192.0.2.53:53"} }, "probe.mx_tls_port: needs probe.resolvers on loopback"},
		{func(c *Config) { c.MXTLS, c.MXTLSPort, c.Resolvers = true, 2525, []string{"127.0.0.1:5353"} }, ""},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		err := cfg.Validate("probe")
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Validate = %v, want %q", err, c.want)
		}
	}
}
