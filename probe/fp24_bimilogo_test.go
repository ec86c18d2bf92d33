package probe

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// bimiFindingsOf decodes a stored report and returns its bimi check's
// findings.
func fp24BIMIFindings(t *testing.T, body []byte) []Finding {
	t.Helper()
	var rep Report
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		if c.Check == "bimi" {
			return c.Findings
		}
	}
	t.Fatalf("no bimi check in %s", body)
	return nil
}

func fp24Finding(fs []Finding, code string) *Finding {
	for i := range fs {
		if fs[i].Code == code {
			return &fs[i]
		}
	}
	return nil
}

// TestFP24MonitorChecksBIMILogo: the watchlist fetches and checks a
// watched domain's BIMI logo, as relaylab probe does (before, the monitor
// never set Deps.BIMILogo, and a logo without a title passed in serve
// while the CLI failed it); with probe.bimi_logo: false it fetches
// nothing, and the BIMI check says the logo was not checked and which
// key turned it off.
func TestFP24MonitorChecksBIMILogo(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	ls := newLogoServer(t)
	host := "brand.example.com"
	if err := srv.AddString("example.com. 60 IN SOA ns.example.com. h.example.com. 1 60 60 60 60",
		host+". 60 IN A 127.0.0.1",
		"default._bimi."+host+`. 60 IN TXT "v=BIMI1; l=https://`+host+`/logo.svg; a=https://`+host+`/vmc.pem"`,
		"_dmarc."+host+`. 60 IN TXT "v=DMARC1; p=reject"`,
		"_dmarc.example.com."+` 60 IN TXT "v=DMARC1; p=reject"`); err != nil {
		t.Fatal(err)
	}
	ls.set(host, logo{body: []byte(strings.Replace(goodSVG, "<title>Brand</title>\n", "", 1))})
	client := ls.probeClient(t, Deps{Resolver: r})
	for _, tt := range []struct {
		name    string
		logo    bool
		code    string
		sev     Severity
		want    string
		fetched bool
	}{
		{"default", true, "bimi.svg-title", SevError, "has no <title> element", true},
		{"off", false, "bimi.logo-not-checked", SevInfo, "logo not checked (probe.bimi_logo: false): the logo at https://brand.example.com/logo.svg was not fetched", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vc := clock.NewVirtual(epoch)
			st := openStore(t, vc)
			cfg := DefaultConfig()
			cfg.Domains = Domains(host)
			cfg.BIMILogo = tt.logo
			m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: client})
			if err != nil {
				t.Fatal(err)
			}
			before := ls.hits.Load()
			if _, err := m.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if fetched := ls.hits.Load() > before; fetched != tt.fetched {
				t.Errorf("logo fetched: %v, want %v", fetched, tt.fetched)
			}
			fs := fp24BIMIFindings(t, latestReport(t, st, host))
			f := fp24Finding(fs, tt.code)
			if f == nil || f.Severity != tt.sev || !strings.Contains(f.Message, tt.want) {
				t.Fatalf("bimi findings %+v: want %s (%s) saying %q", fs, tt.code, tt.sev, tt.want)
			}
		})
	}
}

// TestFP24NoLogoSaysSo: relaylab probe --no-bimi-logo (Deps.BIMILogo
// false) leaves a fact that the logo was not checked, naming the flag,
// rather than an ok that reads as a logo that passed; with no l= there
// is nothing to say.
func TestFP24NoLogoSaysSo(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	rep := Run(context.Background(), Deps{Resolver: r, Clock: clock.NewVirtual(epoch)}, Request{Domain: "clean.auth.test", NoBlocklists: true})
	f := fp24Finding(rep.BIMI.Findings, "bimi.logo-not-checked")
	if f == nil || f.Severity != SevInfo || !strings.HasPrefix(f.Message, "logo not checked (--no-bimi-logo)") || !strings.Contains(f.Message, "without --no-bimi-logo") {
		t.Fatalf("bimi findings %+v: want the info that the logo was not checked (--no-bimi-logo)", rep.BIMI.Findings)
	}
	rep = Run(context.Background(), Deps{Resolver: r, Clock: clock.NewVirtual(epoch)}, Request{Domain: "none.auth.test", NoBlocklists: true})
	if f := fp24Finding(rep.BIMI.Findings, "bimi.logo-not-checked"); f != nil {
		t.Errorf("an l= that is not https has no logo to fetch, yet: %+v", f)
	}
}

// TestFP24BIMILogoConfig: probe.bimi_logo is true unless the file says
// false.
func TestFP24BIMILogoConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		yml  string
		want bool
	}{
		{"domains: [a.example.com]\n", true},
		{"domains: [a.example.com]\nbimi_logo: false\n", false},
	} {
		cfg := DefaultConfig()
		if err := config.Decode("probe.yaml", []byte(tt.yml), &cfg); err != nil {
			t.Fatalf("%q: %v", tt.yml, err)
		}
		if err := cfg.Validate("probe"); err != nil || cfg.BIMILogo != tt.want {
			t.Errorf("%q: bimi_logo %v (%v), want %v", tt.yml, cfg.BIMILogo, err, tt.want)
		}
	}
}
