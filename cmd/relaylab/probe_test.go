package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
)

func TestProbeCommand(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns")
	common := []string{"--resolver", srv.Addr, "--zones", "../../testdata/probe/zones.yaml", "--timeout", "1s"}
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"listed ip", []string{"--ip", "192.0.2.10"}, 1, []string{"BLOCKLIST", "listed on good.bl.test", "exploited host", "unknown on 2"}},
		{"clean domain", []string{"clean.auth.test", "--no-blocklists", "--no-bimi-logo", "--ip", "192.0.2.50", "--helo", "sender.auth.test"}, 0, []string{"SPF", "DMARC", "MX", "MTA-STS", "PTR", "check_host for 192.0.2.50: pass",
			"needs 0 of the 10 DNS lookups", "mail for clean.auth.test goes to, in order of preference: 10 mx1.auth.test", "fails DMARC gets reject",
			"record: v=spf1 ip4:192.0.2.50 -all", "192.0.2.50 → sender.auth.test, forward-confirmed", "to mailto:tlsrpt@clean.auth.test",
			"logo from https://clean.auth.test/logo.svg and the Verified Mark Certificate from https://clean.auth.test/vmc.pem"}},
		{"spf over limit", []string{"limit.spf.test", "--no-blocklists"}, 1, []string{"RFC 7208 4.6.4", "record: v=spf1 include:l1.spf.test"}},
		{"dnssec broken", []string{"broken.test", "--no-blocklists"}, 1, []string{"DNSSEC     error", "the parent zone has 1 DS record for broken.test, but broken.test publishes 1 DNSKEY record, which matches none of them", "dnssec.broken"}},
		{"bad domain", []string{"not a domain"}, 2, nil},
		{"bad ip", []string{"--ip", "300.1.1.1"}, 2, nil},
		{"bad resolver", []string{"example.com", "--resolver", "nonsense"}, 2, nil},
		{"nothing", []string{}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"probe"}, tt.args...)
			if tt.code != 2 {
				args = append(args, common...)
			}
			code, out, errOut := runIn(t, context.Background(), args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, c := range tt.contains {
				if !strings.Contains(out, c) {
					t.Errorf("output lacks %q:\n%s", c, out)
				}
			}
		})
	}
}

// --help tells a newcomer what is checked and how to read the findings.
func TestProbeHelpExplains(t *testing.T) {
	t.Parallel()
	_, out, errOut := runIn(t, context.Background(), "probe", "--help")
	for _, want := range []string{"TLS-RPT, BIMI", "DNSSEC", "error means mail is or will be refused", "what\nto publish instead", "spf.lookup-limit", "Exit status"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("probe --help lacks %q:\n%s%s", want, out, errOut)
		}
	}
}

func TestProbeCommandJSON(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns")
	code, out, errOut := runIn(t, context.Background(), "probe", "none.auth.test", "--json", "--resolver", srv.Addr,
		"--ip", "192.0.2.50", "--zones", "../../testdata/probe/zones.yaml", "--timeout", "1s")
	if code != 0 && code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Schema string `json:"schema"`
		Status string `json:"status"`
		Checks []struct {
			Check    string `json:"check"`
			Status   string `json:"status"`
			Findings []struct {
				Severity, Code, Message string
			} `json:"findings"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Schema != "relaylab.probe/v1" || len(rep.Checks) < 8 {
		t.Fatalf("schema %q with %d checks", rep.Schema, len(rep.Checks))
	}
	found := false
	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			if f.Code == "dmarc.p-none" && f.Severity == "warning" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no dmarc.p-none warning in %s", out)
	}
}
