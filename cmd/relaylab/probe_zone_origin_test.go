package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbeZoneServesRecordsAfterAnotherOrigin: reverse records after an
// $ORIGIN of their own, in the file of a forward zone and with no SOA of
// theirs, are served, not refused as in none of the zone files.
func TestProbeZoneServesRecordsAfterAnotherOrigin(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "walk.zone")
	if err := os.WriteFile(zone, []byte(`$TTL 300
$ORIGIN walk.test.
@    IN SOA ns.walk.test. hm.walk.test. 1 3600 600 86400 60
@    IN TXT "v=spf1 ip4:192.0.2.77 -all"
mail IN A 192.0.2.77
$ORIGIN 2.0.192.in-addr.arpa.
77   IN PTR mail.walk.test.
`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errOut := runIn(t, context.Background(), "probe", "walk.test", "--ip", "192.0.2.77", "--zone", zone, "--no-blocklists", "--timeout", "1s")
	if !strings.Contains(out, "192.0.2.77 → mail.walk.test, forward-confirmed") {
		t.Errorf("the PTR is not served:\n%s\nstderr:\n%s", out, errOut)
	}
	if strings.Contains(out, "77.2.0.192.in-addr.arpa is in none of the zone files") {
		t.Errorf("the PTR in the file is said to be in none:\n%s", out)
	}
}
