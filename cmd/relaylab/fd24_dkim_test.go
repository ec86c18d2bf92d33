package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/relay"
)

// TestFD24KeygenPrintsAbsoluteKeyFile: walk L6. keygen printed key_file
// as --out was given, relative to the current directory, while the
// configuration takes a relative key_file from its own directory: the
// line it says to paste named another file. It prints the absolute name.
func TestFD24KeygenPrintsAbsoluteKeyFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // not parallel: the relative --out is the point
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("keys", 0o700); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "", "dkim", "keygen", "--domain", "shop.test", "--selector", "n1", "--out", "keys/n1.pem")
	if code != 0 || !strings.HasPrefix(out, "n1._domainkey.shop.test. IN TXT") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	abs := filepath.Join(wd, "keys", "n1.pem")
	if !strings.Contains(errs, "{domain: shop.test, selector: n1, key_file: "+abs+"}") || !strings.Contains(errs, "wrote the private key to "+abs) {
		t.Errorf("stderr does not name %s as key_file:\n%s", abs, errs)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Errorf("the key is not at %s: %v", abs, err)
	}
	// A name YAML would misread is quoted.
	if got := yamlScalar("/tmp/a b: c.pem"); got != `"/tmp/a b: c.pem"` {
		t.Errorf("yamlScalar = %s", got)
	}
}

// TestFD24KeygenCautions: walk M1 (its CLI part) and L2. keygen --type
// ed25519 cautions that receivers without Ed25519 (RFC 8463) see mail
// signed only with it as unsigned and says to sign with an RSA key too;
// a key for a public suffix is said to sign nothing; an RSA key for an
// organisation's domain gets neither; a selector of several labels
// (RFC 6376 3.1) is taken and published under its full name.
func TestFD24KeygenCautions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"ed25519", []string{"--domain", "shop.test", "--selector", "e1", "--type", "ed25519"},
			[]string{"note: if it is the only key shop.test signs with, receivers that do not implement Ed25519 (RFC 8463", "treat the mail it signs as unsigned", "sign with an RSA key too", "with a selector other than e1"},
			[]string{"public suffix"}},
		{"public suffix", []string{"--domain", "co.uk", "--selector", "s1"},
			[]string{"note: co.uk is a public suffix", "no mail is signed with this key"},
			[]string{"Ed25519"}},
		{"rsa, several labels", []string{"--domain", "shop.test", "--selector", "s1.eu"},
			[]string{"selector: s1.eu,"},
			[]string{"note:"}},
	} {
		out := filepath.Join(dir, tt.name+".pem")
		code, stdout, errs := runCmd(t, "", append([]string{"dkim", "keygen", "--out", out}, tt.args...)...)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", tt.name, code, errs)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, errs)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(errs, n) {
				t.Errorf("%s: stderr says %q:\n%s", tt.name, n, errs)
			}
		}
		if tt.name == "rsa, several labels" && !strings.HasPrefix(stdout, "s1.eu._domainkey.shop.test. IN TXT") {
			t.Errorf("%s: record %s", tt.name, stdout)
		}
	}
}

// TestFD24DKIMCheckCautions: walk M1 and L2 in dkim check. A domain whose
// only relay.dkim key is Ed25519 gets an info finding (its record may be
// in order: the status stays ok), one with an RSA key beside it none;
// --key, which names one key, says "if it is the only key"; a key for a
// public suffix is a warning; a key with a selector of several labels
// is looked up under its full name.
func TestFD24DKIMCheckCautions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, edFile, edRec := s17f2Key(t, dir, "ed.pem", 0)
	_, _, ed2Rec := s17f2Key(t, dir, "ed2.pem", 0)
	_, _, rsaRec := s17f2Key(t, dir, "rsa.pem", 2048)
	_, _, psRec := s17f2Key(t, dir, "ps.pem", 0)
	srv := dnstest.Start(t)
	if err := srv.AddString("test. 300 IN SOA ns.test. h.test. 1 7200 3600 1209600 300",
		`e1._domainkey.shop.test. 300 IN TXT "`+edRec+`"`,
		`e1.eu._domainkey.bank.test. 300 IN TXT "`+ed2Rec+`"`,
		`r1._domainkey.bank.test. 300 IN TXT `+txtStrings(rsaRec),
		`s1._domainkey.test. 300 IN TXT "`+psRec+`"`); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte("relay:\n  resolvers: ['"+srv.Addr+"']\n  dkim:\n"+
		"    - {domain: shop.test, selector: e1, key_file: ed.pem}\n"+
		"    - {domain: bank.test, selector: e1.eu, key_file: ed2.pem}\n"+
		"    - {domain: bank.test, selector: r1, key_file: rsa.pem}\n"+
		"    - {domain: test, selector: s1, key_file: ps.pem}\n"), 0o600)
	code, out, errs := runCmd(t, "", "dkim", "check", "--config", cfg)
	if code != 0 {
		t.Errorf("exit %d, want 0 (warnings and notes only)\n%s\n%s", code, out, errs)
	}
	byKey := map[string]string{}
	for _, part := range strings.Split(out, "\n\n")[1:] {
		name, _, _ := strings.Cut(part, " ")
		byKey[name] = part
	}
	for name, tt := range map[string]struct{ want, not []string }{
		"e1._domainkey.shop.test":    {[]string{"(relay.dkim[0]: " + edFile + ", ed25519)  ok", "info    " + edFile + " is an Ed25519 key, the only key shop.test signs with: receivers that do not implement Ed25519", "dkim.ed25519-only", "dkim.match"}, []string{"if it is the only key"}},
		"e1.eu._domainkey.bank.test": {[]string{"ed25519)  ok", "dkim.match"}, []string{"ed25519-only"}},
		"r1._domainkey.bank.test":    {[]string{"rsa, 2048 bits)  ok", "dkim.match"}, []string{"ed25519-only"}},
		"s1._domainkey.test":         {[]string{")  warning", "test is a public suffix", "no mail is signed with this key", "dkim.signs-nothing"}, nil},
	} {
		part, ok := byKey[name]
		if !ok {
			t.Errorf("no report of %s:\n%s", name, out)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(part, w) {
				t.Errorf("%s: lacks %q:\n%s", name, w, part)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(part, n) {
				t.Errorf("%s: says %q:\n%s", name, n, part)
			}
		}
	}
	code, out, _ = runCmd(t, "", "dkim", "check", "--domain", "shop.test", "--selector", "e1", "--key", edFile, "--resolver", srv.Addr)
	if code != 0 || !strings.Contains(out, "is an Ed25519 key, and --key checks one key: if it is the only key shop.test signs with, receivers") {
		t.Errorf("--key: exit %d:\n%s", code, out)
	}
}

// TestFD24StartupSaysRecordMissing: walk L5. serve's start-up check said
// of a key with no DNS record "its DNS record does not fit its key"; it
// says the record is missing, where, and to publish the record it gives.
// A record of another key still "does not fit".
func TestFD24StartupSaysRecordMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, file, _ := s17f2Key(t, dir, "k.pem", 0)
	_, _, otherRec := s17f2Key(t, dir, "other.pem", 0)
	srv := dnstest.Start(t)
	if err := srv.AddString("test. 300 IN SOA ns.test. h.test. 1 7200 3600 1209600 300",
		`old._domainkey.shop.test. 300 IN TXT "`+otherRec+`"`); err != nil {
		t.Fatal(err)
	}
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		selector, want, not string
	}{
		{"s9", "receivers cannot verify the relay's signatures with relay.dkim[0]: it has no DNS record at s9._domainkey.shop.test; publish the record in publish", "does not fit"},
		{"old", "receivers cannot verify the relay's signatures with relay.dkim[0]: its DNS record does not fit its key; publish the record in publish", "has no DNS record"},
	} {
		var logs bytes.Buffer
		rep := checkDKIMKey(context.Background(), r, dkimCheckKey{domain: "shop.test", selector: tt.selector, file: file, source: "relay.dkim[0]"})
		logDKIMReport(slog.New(slog.NewTextHandler(&logs, nil)), rep)
		got := logs.String()
		if !strings.Contains(got, tt.want) || strings.Contains(got, tt.not) || !strings.Contains(got, `publish="`+tt.selector+`._domainkey.shop.test. IN TXT`) {
			t.Errorf("%s: logged %q, want %q with the record to publish, without %q", tt.selector, got, tt.want, tt.not)
		}
	}
}

// TestFD24WatchlistTakesRelaySelectors: walk M6. serve's watchlist
// guessed common selectors for a watched domain the relay signs with k1
// (dkim.none-found "default, selector1, ...") and never looked at k1.
// The selectors relay.dkim signs each watched domain with are tied to it
// (a domain written any way), the configuration's own lists untouched;
// with them, the watchlist checks k1 and finds its key.
func TestFD24WatchlistTakesRelaySelectors(t *testing.T) {
	t.Parallel()
	p := probe.DefaultConfig()
	p.Domains = probe.DomainList{{Name: "shop.test"}, {Name: "bank.test", Selectors: []string{"old"}}}
	rc := relay.DefaultConfig()
	rc.DKIM = []relay.DKIMConfig{
		{Domain: "Shop.Test.", Selector: "K1"}, {Domain: "bank.test", Selector: "k2.eu"},
		{Domain: "bank.test", Selector: "old"}, {Domain: "other.test", Selector: "k3"},
	}
	got := withSigningSelectors(p, rc)
	if a, b := got.Domains[0].Selectors, got.Domains[1].Selectors; !slices.Equal(a, []string{"k1"}) || !slices.Equal(b, []string{"old", "k2.eu"}) {
		t.Errorf("selectors %q and %q, want [k1] and [old k2.eu]", a, b)
	}
	if p.Domains[0].Selectors != nil || len(p.Domains[1].Selectors) != 1 {
		t.Errorf("the configuration's lists changed: %+v", p.Domains)
	}
	one := probe.DefaultConfig()
	one.Domains, one.Selectors = probe.Domains("shop.test"), []string{"k1"}
	if s := withSigningSelectors(one, rc).Domains[0].Selectors; len(s) != 0 {
		t.Errorf("a selector probe.selectors gives the only domain already is tied again: %q", s)
	}

	// The monitor as serve starts it (startMonitor) checks the relay's
	// selector, one no guess finds (k1 is Mailchimp's, which it guesses).
	dir := t.TempDir()
	_, _, rec := s17f2Key(t, dir, "k1.pem", 0)
	srv := dnstest.Start(t)
	if err := srv.AddString("shop.test. 300 IN SOA ns.shop.test. h.shop.test. 1 7200 3600 1209600 300",
		`rl2026._domainkey.shop.test. 300 IN TXT "`+rec+`"`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "s.db"), Sync: store.SyncOff, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := defaultConfig()
	cfg.Probe.Domains, cfg.Probe.Resolvers, cfg.Probe.BIMILogo = probe.Domains("shop.test"), []string{srv.Addr}, false
	cfg.Relay.DKIM = []relay.DKIMConfig{{Domain: "shop.test", Selector: "rl2026", KeyFile: filepath.Join(dir, "k1.pem")}}
	c, err := startMonitor(ctx, cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var res []probe.Result
	for deadline := time.Now().Add(time.Minute); len(res) == 0; time.Sleep(10 * time.Millisecond) { // bounds a hang, measures nothing
		if time.Now().After(deadline) {
			t.Fatal("the watchlist stored no result of shop.test")
		}
		if res, err = probe.ResultHistory(ctx, st.DB(), "shop.test", 1); err != nil {
			t.Fatal(err)
		}
	}
	c.shutdown(ctx)
	report := string(res[0].Report)
	if !strings.Contains(report, `"selector":"rl2026"`) || strings.Contains(report, "dkim.none-found") {
		t.Errorf("the watchlist's report of shop.test does not check rl2026, or finds no key:\n%s", report)
	}
}
