package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestDNSServeVerb: "relaylab dns serve --zone ..." (a natural guess:
// other tools take a verb) serves as "relaylab dns --zone ..." does, the
// verb before or after the flags; anything else left over is refused
// with how to call it. It said `dns takes no arguments, got ["serve"
// ...]` and no more.
func TestDNSServeVerb(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "lab.zone")
	os.WriteFile(zone, []byte("$ORIGIN lab.test.\n@ 60 IN SOA ns.lab.test. admin.lab.test. 1 60 60 60 60\n@ 60 IN MX 10 mx1.lab.test.\n"), 0o644)
	for _, args := range [][]string{
		{"dns", "serve", "--zone", zone, "--listen", "127.0.0.1:0"},
		{"dns", "--zone", zone, "--listen", "127.0.0.1:0", "serve"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, hup: make(chan os.Signal)}, args)
		}()
		re := regexp.MustCompile(`resolvers: \["(127\.0\.0\.1:\d+)"\]`)
		var addr string
		for deadline := time.Now().Add(time.Minute); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) { // bounds a hang
			if m := re.FindStringSubmatch(out.String()); m != nil {
				addr = m[1]
			}
			select {
			case code := <-done:
				t.Fatalf("%q: exit %d before serving: %q %q", args, code, out.String(), errb.String())
			default:
			}
		}
		if addr == "" {
			cancel()
			t.Fatalf("%q: no address printed: %q %q", args, out.String(), errb.String())
		}
		m := new(dns.Msg)
		m.SetQuestion("lab.test.", dns.TypeMX)
		if r, _, err := new(dns.Client).Exchange(m, addr); err != nil || len(r.Answer) != 1 {
			t.Errorf("%q: MX lab.test: %v %v", args, r, err)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
	for _, args := range [][]string{
		{"dns", "--zone", zone, "extra"},
		{"dns", "serve", "serve", "--zone", zone},
		{"dns", "start", "--zone", zone},
	} {
		code, _, errOut := runIn(t, context.Background(), args...)
		if code != 2 || !strings.Contains(errOut, "relaylab dns --zone FILE|DIR [--listen 127.0.0.1:5300]") || !strings.Contains(errOut, "relaylab dns serve --zone FILE") {
			t.Errorf("%q: exit %d, stderr %q: want 2 and how to call it", args, code, errOut)
		}
	}
}
