package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbeZoneServesOffline: --zone serves zone files on 127.0.0.1 and the
// probe asks only that server.
func TestProbeZoneServesOffline(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"directory", []string{"clean.auth.test", "--ip", "192.0.2.50", "--helo", "sender.auth.test", "--zone", "../../testdata/dns", "--no-blocklists", "--no-bimi-logo"},
			0, []string{"via 127.0.0.1:", "192.0.2.50 → sender.auth.test, forward-confirmed", "check_host for 192.0.2.50: pass"}},
		{"files", []string{"--ip", "192.0.2.10", "--zone", "../../testdata/dns/blocklists.zone", "--zone", "../../testdata/dns/resolver.zone",
			"--zones", "../../testdata/probe/zones.yaml"},
			1, []string{"via 127.0.0.1:", "listed on good.bl.test", "192.0.2.10 → www.resolver.test"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runIn(t, context.Background(), append([]string{"probe", "--timeout", "1s"}, tt.args...)...)
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

// TestProbeZoneAsksOnlyLoopback: the report names one resolver, on
// 127.0.0.1, and an MTA-STS policy host outside loopback is not contacted.
func TestProbeZoneAsksOnlyLoopback(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "far.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN far.test.
$TTL 60
@        IN SOA ns.far.test. hostmaster.far.test. 1 3600 600 86400 60
@        IN MX 10 mx.far.test.
mx       IN A 127.0.0.1
_mta-sts IN TXT "v=STSv1; id=1"
mta-sts  IN A 192.0.2.1
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, context.Background(), "probe", "far.test", "--zone", zone, "--json", "--timeout", "1s")
	if code != 1 && code != 3 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var rep struct {
		Resolvers []string `json:"resolvers"`
		Checks    []struct {
			Check    string
			Findings []struct{ Code, Message string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.Resolvers) != 1 || !strings.HasPrefix(rep.Resolvers[0], "127.0.0.1:") {
		t.Errorf("resolvers %q, want one on 127.0.0.1", rep.Resolvers)
	}
	found := false
	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			if f.Code == "mta-sts.fetch" && strings.Contains(f.Message, "192.0.2.1, not a loopback address") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no mta-sts.fetch finding refusing 192.0.2.1:\n%s", out)
	}
}

// TestProbeZoneRefusesBadInput: --zone with --resolver, a missing file or
// a broken one is exit 2 naming --zone.
func TestProbeZoneRefusesBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.zone")
	if err := os.WriteFile(bad, []byte("$ORIGIN bad.test.\n$TTL 60\n@ IN SOA ns hm 1 2 3 4 5\nwww IN A 300.1.1.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An unclosed quote, which the parser called "dns: bad TXT Txt: \" \"
	// at line: 3:9".
	badTXT := filepath.Join(dir, "badtxt.zone")
	if err := os.WriteFile(badTXT, []byte("$ORIGIN bad.test.\n$TTL 60\n@ IN TXT \"v=spf1 -all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	closed := closedAddr(t, "udp")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--zone", "../../testdata/dns", "--resolver", closed}, "--zone and --resolver together"},
		{[]string{"--zone", filepath.Join(dir, "missing.zone")}, "--zone: " + filepath.Join(dir, "missing.zone") + " does not exist: give a zone file"},
		{[]string{"--zone", bad}, "--zone: " + bad + ` line 4 (column 18): "300.1.1.1" is not an IPv4 address (an A record takes one, such as 192.0.2.1)`},
		{[]string{"--zone", badTXT}, "--zone: " + badTXT + ` line 3 (column 9): a TXT record's text has a quote that is not closed, or text after its closing quote: quote each string whole, such as "v=spf1 -all"`},
		{[]string{"--zone", filepath.Join(dir, "sub")}, "--zone: " + filepath.Join(dir, "sub") + " is a directory with no *.zone file in it"},
	} {
		code, out, errOut := runIn(t, context.Background(), append([]string{"probe", "clean.auth.test", "--no-blocklists", "--timeout", "1s"}, tt.args...)...)
		if code != 2 || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "dns: bad") {
			t.Errorf("%q: exit %d (want 2), stderr %q, want it to hold %q\nstdout:\n%s", tt.args, code, errOut, tt.want, out)
		}
	}
}

// TestProbeHelpZoneExamplesWork runs the --zone examples of probe --help
// from the top of the repository, as a newcomer would paste them.
func TestProbeHelpZoneExamplesWork(t *testing.T) {
	t.Parallel()
	_, help, _ := runIn(t, context.Background(), "probe", "--help")
	var n int
	for _, line := range strings.Split(help, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "relaylab probe ") || !strings.Contains(line, "--zone testdata/dns") {
			continue
		}
		n++
		args := strings.Fields(strings.ReplaceAll(line, "testdata/", "../../testdata/"))[1:]
		code, out, errOut := runIn(t, context.Background(), append(args, "--timeout", "1s")...)
		if code != 0 && code != 1 {
			t.Errorf("%s: exit %d (want 0 or 1: nothing unknown)\nstdout:\n%s\nstderr:\n%s", line, code, out, errOut)
		}
	}
	if n < 2 {
		t.Errorf("probe --help shows %d examples with --zone testdata/dns, want 2:\n%s", n, help)
	}
}

// TestZoneErrorInWords: the zone parser's errors are said as the line and
// what is wrong there; an error of another form stays as it is.
func TestZoneErrorInWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`dnstest: z.zone: z.zone: dns: bad MX Pref: "mx" at line: 3:10`, `z.zone line 3 (column 10): "mx" is not a preference number: an MX record takes a number and then a host`},
		{`dnstest: z.zone: z.zone: dns: not a TTL: "FOO" at line: 3:9`, `z.zone line 3 (column 9): "FOO" is not a TTL, a class or a record type the parser knows`},
		{`dnstest: z.zone: z.zone: dns: bad MX Mx: " " at line: 3:8`, `z.zone line 3 (column 8): an MX record's mx field is missing or wrong (at "")`},
		{`dnstest: z.zone:4: want ";@dnstest BEHAVIOUR NAME" with a known behaviour`, `z.zone:4: want ";@dnstest BEHAVIOUR NAME" with a known behaviour`},
	} {
		if got := zoneError(errors.New(tc.in)); !strings.HasPrefix(got, tc.want) {
			t.Errorf("zoneError(%q) = %q, want it to start with %q", tc.in, got, tc.want)
		}
	}
}
