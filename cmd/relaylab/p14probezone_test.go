package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestP14ProbeZoneRefusesEmptyFile: --zone with a file that holds no
// records is bad input (exit 2), as an empty directory is, instead of a
// probe whose every lookup is refused and blamed on the zones.
func TestP14ProbeZoneRefusesEmptyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.zone")
	comments := filepath.Join(dir, "comments.zone")
	os.WriteFile(empty, nil, 0o644)                                    //nolint:errcheck
	os.WriteFile(comments, []byte("; nothing here\n$TTL 60\n"), 0o644) //nolint:errcheck
	emptyDir := filepath.Join(dir, "d")
	os.Mkdir(emptyDir, 0o755)                                   //nolint:errcheck
	os.WriteFile(filepath.Join(emptyDir, "a.zone"), nil, 0o644) //nolint:errcheck
	for _, zone := range []string{empty, comments, emptyDir} {
		code, _, errOut := runIn(t, context.Background(), "probe", "x.test", "--zone", zone, "--no-blocklists")
		if code != 2 || !strings.Contains(errOut, "--zone: "+zone) || !strings.Contains(errOut, "records") {
			t.Errorf("--zone %s: exit %d, %q; want exit 2 saying it holds no records", zone, code, errOut)
		}
	}
}

// TestP14ProbeZonePolicyNotFetchedIsUnknown: with --zone, an MTA-STS host
// beyond loopback is a policy the probe did not fetch: exit 3 (not known
// to be clean), not 1 (an error of the domain's).
func TestP14ProbeZonePolicyNotFetchedIsUnknown(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "far.zone")
	if err := os.WriteFile(zone, []byte(`$TTL 60
$ORIGIN far.test.
@        IN SOA ns.far.test. hostmaster.far.test. 1 3600 600 86400 60
@        IN MX 10 mx.far.test.
@        IN TXT "v=spf1 -all"
_dmarc   IN TXT "v=DMARC1; p=reject; rua=mailto:d@far.test"
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:t@far.test"
s1._domainkey IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
mx       IN A 127.0.0.1
_mta-sts IN TXT "v=STSv1; id=1"
mta-sts  IN A 192.0.2.1
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, context.Background(), "probe", "far.test", "--zone", zone, "--no-blocklists", "--selector", "s1", "--timeout", "2s")
	if code != exitUnchecked || !strings.Contains(out, "the probe did not fetch the policy") {
		t.Errorf("exit %d, want %d with the policy not fetched\nstdout:\n%s\nstderr:\n%s", code, exitUnchecked, out, errOut)
	}
}
