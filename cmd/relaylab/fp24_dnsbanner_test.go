package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestFP24DNSBannerFitsZones: relaylab dns suggests a query that the
// zones served answer (before, always "MX <first zone>", which a DNS
// blocklist's zone has none of) and says how the probes use the server
// (probe.resolvers, relaylab probe --resolver), not only relay.resolvers;
// the queries it asks to pick one are not counted as the user's.
func TestFP24DNSBannerFitsZones(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name, zone, want string
	}{
		{"blocklist", `$ORIGIN bl.example.net.
@ 60 IN SOA ns.bl.example.net. admin.bl.example.net. 1 60 60 60 60
2.0.0.127 60 IN A 127.0.0.2
2.0.0.127 60 IN TXT "test point"
`, "A 2.0.0.127.bl.example.net"},
		{"mail", `$ORIGIN aa.test.
@ 60 IN SOA ns.aa.test. admin.aa.test. 1 60 60 60 60
@ 60 IN TXT "v=spf1 -all"
$ORIGIN shop.test.
@ 60 IN SOA ns.shop.test. admin.shop.test. 1 60 60 60 60
@ 60 IN MX 10 mx1.shop.test.
mx1 60 IN A 127.0.0.2
`, "MX shop.test"},
		{"records only", `$ORIGIN txt.test.
@ 60 IN SOA ns.txt.test. admin.txt.test. 1 60 60 60 60
@ 60 IN TXT "v=spf1 -all"
`, "TXT txt.test"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			zone := filepath.Join(dir, tt.name+".zone")
			if err := os.WriteFile(zone, []byte(tt.zone), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errb syncBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, hup: make(chan os.Signal)}, []string{"dns", "--zone", zone, "--listen", "127.0.0.1:0"})
			}()
			for deadline := time.Now().Add(time.Minute); !strings.Contains(out.String(), "Ctrl-C stops.") && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) { // bounds a hang
			}
			banner := out.String()
			addr := regexp.MustCompile(`resolvers: \["(127\.0\.0\.1:\d+)"\]`).FindStringSubmatch(banner)
			if addr == nil {
				t.Fatalf("no address printed: %q %q", banner, errb.String())
			}
			_, port, _ := strings.Cut(addr[1], ":")
			for _, want := range []string{
				"try: dig @127.0.0.1 -p " + port + " " + tt.want + "\n",
				`probe: {resolvers: ["` + addr[1] + `"]}`,
				"relaylab probe DOMAIN --resolver " + addr[1],
			} {
				if !strings.Contains(banner, want) {
					t.Errorf("banner %q lacks %q", banner, want)
				}
			}
			cancel()
			if code := <-done; code != 0 || !strings.Contains(out.String(), "stopped after 0 queries") {
				t.Errorf("exit %d, stdout %q: want the example's own queries left out of the count", code, out.String())
			}
		})
	}
}
