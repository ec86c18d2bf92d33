package main

import (
	"context"
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/relay"
)

// TestFP22ServeChecksDKIMKeysAtStart: serve compares each relay.dkim key
// with its DNS record at start, through relay.resolvers, as dkim check
// does: a record that publishes another key (dkim.key-mismatch) is a
// warning in the log naming relay.dkim[N], a lookup that fails a softer
// note, a key in order says nothing; none of them holds the start up.
// Before, serve kept signing with a key its record no longer matched and
// said nothing.
func TestFP22ServeChecksDKIMKeysAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, _, shopRec := s17f2Key(t, dir, "shop.pem", 0)
	s17f2Key(t, dir, "bank.pem", 0)
	_, _, oldRec := s17f2Key(t, dir, "old.pem", 0)
	_, _, slowRec := s17f2Key(t, dir, "slow.pem", 0)
	srv := dnstest.Start(t)
	if err := srv.AddString("test. 300 IN SOA ns.test. h.test. 1 7200 3600 1209600 300",
		`s1._domainkey.shop.test. 300 IN TXT "`+shopRec+`"`,
		`s2._domainkey.bank.test. 300 IN TXT "`+oldRec+`"`,
		`s3._domainkey.slow.test. 300 IN TXT "`+slowRec+`"`); err != nil {
		t.Fatal(err)
	}
	srv.Set("s3._domainkey.slow.test.", dnstest.ServFail)
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`store: {path: %s}
sink:
  listeners: [{name: mx, listen: "127.0.0.1:0"}]
relay:
  listen: "127.0.0.1:0"
  resolvers: ['%s']
  dkim:
    - {domain: shop.test, selector: s1, key_file: shop.pem}
    - {domain: bank.test, selector: s2, key_file: bank.pem}
    - {domain: slow.test, selector: s3, key_file: slow.pem}
web: {listen: "127.0.0.1:0"}
`, filepath.Join(dir, "serve.db"), srv.Addr)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, errb, done := startServe(t, ctx, cfg)
	waitFor(t, errb, "dkim.key-mismatch")
	waitFor(t, errb, "s3._domainkey.slow.test")
	cancel()
	<-done
	var mismatch, slow string
	for _, l := range strings.Split(errb.String(), "\n") {
		switch {
		case strings.Contains(l, "dkim.key-mismatch"):
			mismatch = l
		case strings.Contains(l, "s3._domainkey.slow.test"):
			slow = l
		case strings.Contains(l, "_domainkey.shop.test"):
			t.Errorf("the key in order is logged: %s", l)
		}
	}
	t.Logf("%s\n%s", mismatch, slow)
	for _, w := range []string{"level=WARN", "relay.dkim[1]", "s2._domainkey.bank.test", "publishes another public key", "relaylab dkim check", "publish the record in publish", `publish="s2._domainkey.bank.test. IN TXT`} {
		if !strings.Contains(mismatch, w) {
			t.Errorf("the mismatch line lacks %q: %s", w, mismatch)
		}
	}
	for _, w := range []string{"level=INFO", "relay.dkim[2]", "could not"} {
		if !strings.Contains(slow, w) {
			t.Errorf("the failed lookup's line lacks %q: %s", w, slow)
		}
	}
}

// TestFP22SigningKeysForTheProbe: serve hands the monitor the public half
// of each relay.dkim key, named by its place, for its notes on the
// watched records they use.
func TestFP22SigningKeysForTheProbe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, file, _ := s17f2Key(t, dir, "shop.pem", 0)
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte("relay:\n  dkim:\n    - {domain: Shop.Test, selector: s1, key_file: shop.pem}\n"), 0o600)
	c, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ks := signingKeys(c.Relay)
	if len(ks) != 1 || ks[0].Source != "relay.dkim[0]" || ks[0].Domain != "shop.test" || ks[0].Selector != "s1" || ks[0].File != file ||
		!probe.DKIMRecordMatches(mustRecord(t, key), ks[0].Public) {
		t.Errorf("signing keys = %+v, want relay.dkim[0] of shop.test, s1, %s, with its public key", ks, file)
	}
}

func mustRecord(t *testing.T, key crypto.Signer) string {
	t.Helper()
	rec, err := relay.DNSRecord(key)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
