package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
)

var update = flag.Bool("update", false, "rewrite the golden files in probe/testdata")

// TestReportGolden compares the text report of whole probes with golden
// files. On a mismatch the actual output is written beside the golden file
// (.got); run with -update to accept it.
func TestReportGolden(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone", "../testdata/dns/blocklists.zone", "../testdata/dns/spf.zone")
	zones := testZones(t)[:4] // good, errcode, outside, empty: no DNS failures, so no ports in the text
	tests := []struct {
		name string
		req  Request
	}{
		{"report-none.auth.test", Request{Domain: "none.auth.test", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.51")}, Zones: zones}},
		{"report-clean.auth.test", Request{Domain: "clean.auth.test", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.50")}, Helo: "sender.auth.test", Zones: zones}},
		{"report-limit.spf.test", Request{Domain: "limit.spf.test", NoBlocklists: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vc := clock.NewVirtual(epoch)
			rep := Run(context.Background(), Deps{Resolver: r, Clock: vc, Logger: discard(), HTTPClient: &http.Client{}}, tt.req)
			rep.Resolvers = nil
			var got bytes.Buffer
			if err := rep.WriteText(&got); err != nil {
				t.Fatal(err)
			}
			if _, err := json.Marshal(rep); err != nil {
				t.Fatalf("report does not encode: %v", err)
			}
			path := filepath.Join("testdata", tt.name+".txt")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestReportGolden -update ./probe to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				os.WriteFile(path+".got", got.Bytes(), 0o644) //nolint:errcheck
				t.Errorf("report differs from %s; the actual output is in %s.got:\n%s", path, path, got.String())
			}
		})
	}
}
