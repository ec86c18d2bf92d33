package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/miekg/dns"
)

// TestFP22DNSReloadsOnSIGHUP: relaylab dns reads its zone files again at
// SIGHUP and serves the new records on the same address, saying so; a
// zone that no longer loads keeps the old records served, and the error
// names the file and line. Before, SIGHUP was ignored without a word.
func TestFP22DNSReloadsOnSIGHUP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zone := filepath.Join(dir, "lab.zone")
	write := func(txt string) {
		t.Helper()
		if err := os.WriteFile(zone, []byte("$ORIGIN lab.test.\n@ 60 IN SOA ns.lab.test. admin.lab.test. 1 60 60 60 60\n@ 60 IN TXT \""+txt+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	hup := make(chan os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, hup: hup}, []string{"dns", "--zone", dir, "--listen", "127.0.0.1:0"})
	}()
	waitFor(t, &out, "Ctrl-C stops.")
	addr := regexp.MustCompile(`resolvers: \["(127\.0\.0\.1:\d+)"\]`).FindStringSubmatch(out.String())[1]
	txt := func() string {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion("lab.test.", dns.TypeTXT)
		r, _, err := new(dns.Client).Exchange(m, addr)
		if err != nil || len(r.Answer) != 1 {
			t.Fatalf("TXT lab.test: %v %v", r, err)
		}
		return r.Answer[0].(*dns.TXT).Txt[0]
	}
	if got := txt(); got != "one" {
		t.Fatalf("TXT before the reload: %q", got)
	}
	write("two")
	hup <- syscall.SIGHUP
	waitFor(t, &out, "reloaded the zones")
	if got := txt(); got != "two" {
		t.Errorf("TXT after the reload: %q, want two", got)
	}
	os.WriteFile(filepath.Join(dir, "bad.zone"), []byte("$ORIGIN bad.test.\n@ 60 IN MX ten mx1\n"), 0o644)
	hup <- syscall.SIGHUP
	waitFor(t, &errb, "still serving the zones loaded before")
	if e := errb.String(); !strings.Contains(e, "bad.zone") || !strings.Contains(e, "line 2") {
		t.Errorf("stderr %q does not name the file and line", e)
	}
	if got := txt(); got != "two" {
		t.Errorf("TXT after a refused reload: %q, want two", got)
	}
	cancel()
	if code := <-done; code != 0 || !strings.Contains(out.String(), "stopped after 3 queries") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	if _, help, helpErr := runIn(t, context.Background(), "dns", "--help"); !strings.Contains(help+helpErr, "SIGHUP") {
		t.Errorf("dns --help does not mention SIGHUP:\n%s%s", help, helpErr)
	}
}
