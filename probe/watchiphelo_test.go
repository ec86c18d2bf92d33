package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// TestWatchIPConfig: an entry of probe.ips is an address or {ip, helo};
// errors name the key, and the printed form loads back the same.
func TestWatchIPConfig(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	in := "helo: Shared.Own.Test.\nips: [127.0.2.20, {ip: 127.0.2.21, helo: Mail.Own.Test.}, '::1']\n"
	if err := config.Decode("probe.yaml", []byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	want := IPList{{IP: "127.0.2.20"}, {IP: "127.0.2.21", Helo: "mail.own.test"}, {IP: "::1"}}
	if !reflect.DeepEqual(cfg.IPs, want) || cfg.Helo != "shared.own.test" {
		t.Fatalf("ips %+v helo %q, want %+v and shared.own.test", cfg.IPs, cfg.Helo, want)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back := DefaultConfig()
	if err := config.Decode("printed.yaml", out, &back); err != nil || !reflect.DeepEqual(back.IPs, want) {
		t.Errorf("printed:\n%s\nloads back as %+v (%v), want %+v", out, back.IPs, err, want)
	}
	if s := string(out); !strings.Contains(s, "- 127.0.2.20\n") {
		t.Errorf("an IP without a HELO name of its own is not printed as its address:\n%s", s)
	}

	for _, tt := range []struct{ yaml, key string }{
		{"ips: [{ip: 127.0.2.21, helo: 'not a name'}]\n", "probe.ips[0].helo"},
		{"ips: [{ip: 127.0.2.21, helo: localhost}]\n", "probe.ips[0].helo"},
		{"ips: [{ip: nope, helo: mail.own.test}]\n", "probe.ips[0].ip"},
		{"ips: [{helo: mail.own.test}]\n", "probe.ips[0].ip"},
		{"ips: [nope]\n", "probe.ips[0]"},
		{"ips: [127.0.2.20, {ip: 127.0.2.20, helo: mail.own.test}]\n", "probe.ips[1]"},
		{"helo: 'bad name'\n", "probe.helo"},
	} {
		c := DefaultConfig()
		config.Decode("probe.yaml", []byte(tt.yaml), &c) //nolint:errcheck // Validate again below, with the prefix
		err := c.Validate("probe")
		if fe, ok := err.(*config.FieldError); !ok || fe.Key != tt.key {
			t.Errorf("%q: err = %v, want one at %s", tt.yaml, err, tt.key)
		}
	}
	if err := config.Decode("probe.yaml", []byte("ips: [{ip: 127.0.2.21, hello: mail.own.test}]\n"), new(Config)); err == nil || !strings.Contains(err.Error(), "hello") {
		t.Errorf("an unknown key in an ips entry: %v, want an error naming it", err)
	}
}

// TestWatchIPOwnHelo: an IP with a HELO name of its own is checked with
// it, not with probe.helo, so that its correct PTR name is no mismatch.
func TestWatchIPOwnHelo(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/blocklists.zone")
	if err := srv.AddString(
		"own.test. 60 IN SOA ns.own.test. h.own.test. 1 3600 600 86400 60",
		"shared.own.test. 60 IN A 127.0.2.20",
		"mail.own.test. 60 IN A 127.0.2.21",
		"2.0.127.in-addr.arpa. 60 IN SOA ns.own.test. h.own.test. 1 3600 600 86400 60",
		"20.2.0.127.in-addr.arpa. 60 IN PTR shared.own.test.",
		"21.2.0.127.in-addr.arpa. 60 IN PTR mail.own.test.",
	); err != nil {
		t.Fatal(err)
	}
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.Helo = "shared.own.test"
	cfg.IPs = IPList{{IP: "127.0.2.20"}, {IP: "127.0.2.21", Helo: "mail.own.test"}}
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	latest, err := LatestResults(context.Background(), st.DB())
	if err != nil || len(latest) != 2 {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	for i, wantHelo := range []string{"shared.own.test", "mail.own.test"} {
		var rep Report
		if err := json.Unmarshal(latest[i].Report, &rep); err != nil || len(rep.PTR) != 1 {
			t.Fatalf("%s: report %s (%v)", latest[i].Target, latest[i].Report, err)
		}
		p := rep.PTR[0]
		if p.Helo != wantHelo {
			t.Errorf("%s checked with HELO %q, want %q", p.IP, p.Helo, wantHelo)
		}
		if _, bad := codes(p.Findings)["ptr.helo-mismatch"]; bad {
			t.Errorf("%s: %+v, want no ptr.helo-mismatch (its PTR name is its HELO name)", p.IP, p.Findings)
		}
	}
}
