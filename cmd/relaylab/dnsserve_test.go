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

// TestDNSServesZones: relaylab dns serves a zone file on loopback until
// stopped, MX records and the misbehaviour its directives ask for, and
// says where, as relay.resolvers takes it; a zone that does not load is
// bad input (exit 2) naming its file and line.
func TestDNSServesZones(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zone := filepath.Join(dir, "lab.zone")
	os.WriteFile(zone, []byte(`$ORIGIN lab.test.
@ 60 IN SOA ns.lab.test. admin.lab.test. 1 60 60 60 60
@ 60 IN MX 10 mx1.lab.test.
mx1 60 IN A 127.0.0.2
;@dnstest servfail broken.lab.test.
`), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, hup: make(chan os.Signal)}, []string{"dns", "--zone", zone, "--listen", "127.0.0.1:0"})
	}()
	re := regexp.MustCompile(`resolvers: \["(127\.0\.0\.1:\d+)"\]`)
	var addr string
	for deadline := time.Now().Add(time.Minute); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) { // bounds a hang
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no address printed: %q %q", out.String(), errb.String())
	}
	c := new(dns.Client)
	m := new(dns.Msg)
	m.SetQuestion("lab.test.", dns.TypeMX)
	r, _, err := c.Exchange(m, addr)
	if err != nil || len(r.Answer) != 1 || r.Answer[0].(*dns.MX).Mx != "mx1.lab.test." {
		t.Fatalf("MX lab.test: %v %v", r, err)
	}
	m.SetQuestion("broken.lab.test.", dns.TypeA)
	if r, _, err := c.Exchange(m, addr); err != nil || r.Rcode != dns.RcodeServerFailure {
		t.Errorf("A broken.lab.test: %v %v, want SERVFAIL", r, err)
	}
	cancel()
	if code := <-done; code != 0 || !strings.Contains(out.String(), "stopped after 2 queries") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}

	bad := filepath.Join(dir, "bad.zone")
	os.WriteFile(bad, []byte("$ORIGIN bad.test.\n@ 60 IN MX ten mx1\n"), 0o644)
	if code, _, errOut := runIn(t, context.Background(), "dns", "--zone", bad, "--listen", "127.0.0.1:0"); code != 2 || !strings.Contains(errOut, "bad.zone") || !strings.Contains(errOut, "line 2") {
		t.Errorf("a bad zone: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runIn(t, context.Background(), "dns", "--listen", "127.0.0.1:0"); code != 2 || !strings.Contains(errOut, "--zone") {
		t.Errorf("no zone: exit %d, stderr %q", code, errOut)
	}
}
