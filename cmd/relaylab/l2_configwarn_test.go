package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// l2WarnConfig writes, in dir, a configuration that serve warns of in
// every way that needs no network, listening at listen (sink) and
// relayListen, with an Ed25519 DKIM key file alone for its domain; both
// files can be read by every user. resolver is relay.resolvers' one
// server.
func l2WarnConfig(t *testing.T, dir, listen, relayListen, resolver string) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "ed.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o644)
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`store:
  path: %q
  sync: normal
sink:
  listeners:
    - name: mx
      listen: %q
relay:
  listen: %q
  resolvers: [%q]
  users: {alice: s3cret-password}
  paths:
    - name: up
      host: 192.0.2.1:587
      username: u
      password: p
    - name: ssl
      host: 192.0.2.2:465
  routes:
    - {name: all, paths: [up]}
  classify:
    - {code: "451", category: gone, disposition: bounce}
  dkim:
    - {domain: shop.test, selector: s1, key_file: %q}
web:
  listen: 127.0.0.1:0
`, filepath.Join(dir, "s.db"), listen, relayListen, resolver, keyFile)), 0o644)
	for _, f := range []string{cfg, keyFile} {
		if err := os.Chmod(f, 0o644); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	return cfg
}

// TestL2ConfigWarnsAsServeDoes: relaylab config prints, on stderr and
// each at its file, line and key, the warnings serve logs at start about
// the same file (the ones that need no network), and serve logs no other
// warning: config printed only the relay's rules, store.sync and the
// file's secrets, so a user learnt of the rest only from serve's log.
func TestL2ConfigWarnsAsServeDoes(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not Unix permissions")
	}
	dir := t.TempDir()
	// A DNS server that is not there: serve's comparison of the DKIM key
	// with its record fails on loopback (a note, not a warning).
	cfg := l2WarnConfig(t, dir, "127.0.0.1:0", "127.0.0.1:0", closedAddr(t, "udp"))

	code, out, errOut := runIn(t, context.Background(), "config", "--config", cfg)
	if code != 0 || !strings.Contains(out, "# relaylab configuration from") {
		t.Fatalf("config: exit %d (want 0, warnings do not fail it), stdout\n%s\nstderr\n%s", code, out, errOut)
	}
	for _, want := range []string{
		cfg + ":13:11: relay.paths[0].verify: a path sends its AUTH password over TLS without checking the server's certificate",
		cfg + ":17:11: relay.paths[1].tls: a path reaches port 465, the implicit-TLS submission port",
		cfg + ":24:51: relay.dkim[0].key_file: the DKIM private key file " + filepath.Join(dir, "ed.pem") + " (mode 0644) can be read by every user",
		cfg + ":22:50: relay.classify[0].disposition: bounce for a 4xx reply",
		cfg + ":24:7: relay.dkim[0]: the Ed25519 key",
		cfg + ":3:9: store.sync: normal: ",
		"the configuration file " + cfg + " (mode 0644) holds secrets",
	} {
		if !strings.Contains(errOut, "relaylab config: warning: "+want) {
			t.Errorf("config's stderr lacks the warning %q:\n%s", want, errOut)
		}
	}

	// The same warnings as serve's log, word for word.
	c, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var fromConfig []string
	for _, w := range configWarnings(c) {
		var fe *config.FieldError
		if errors.As(w, &fe) {
			// Serve's log names the key in the text, or in attributes,
			// or gives it at its line as relaylab config does.
			fromConfig = append(fromConfig, fe.Msg, fe.Error(), config.Locate(cfg, data, w).Error())
			continue
		}
		fromConfig = append(fromConfig, w.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, errb, done := startServeArgs(t, ctx, "--config", cfg)
	cancel()
	<-done
	warned := logWarnings(errb.String())
	if len(warned) != 7 {
		t.Errorf("serve logged %d warnings, want the 7 of the file:\n%s", len(warned), strings.Join(warned, "\n"))
	}
	for _, w := range warned {
		if !slices.Contains(fromConfig, strings.TrimPrefix(w, "relay: ")) {
			t.Errorf("serve warns at start\n%s\nwhich relaylab config does not say (it says %q)", w, fromConfig)
		}
	}
}

// TestL2ConfigWarnsOfListenersBeyondLoopback: the sink's and the
// relay's listeners beyond loopback are warned of as serve warns of them
// once bound, with the sink's backscatter through serve's own relay, at
// the keys that give them (config binds nothing).
func TestL2ConfigWarnsOfListenersBeyondLoopback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := l2WarnConfig(t, dir, "0.0.0.0:2525", "[::]:2587", "127.0.0.1:53")
	code, _, errOut := runIn(t, context.Background(), "config", "--config", cfg)
	for _, want := range []string{
		cfg + ":7:15: sink.listeners[0].listen: the sink's listener mx is on 0.0.0.0:2525, beyond loopback",
		"whose paths up (192.0.2.1:587), ssl (192.0.2.2:465) leave this machine: any host that reaches the listener can have this serve send DSNs to any address (backscatter)",
		cfg + ":9:11: relay.listen: the relay's submission listener (relay.listen) is on [::]:2587, beyond loopback",
	} {
		if code != 0 || !strings.Contains(errOut, want) {
			t.Errorf("config: exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
}

// logWarnings is the message of each WARN line of a text log.
func logWarnings(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, " level=WARN ") {
			continue
		}
		_, m, _ := strings.Cut(l, " msg=")
		q, err := strconv.QuotedPrefix(m)
		if err != nil {
			out = append(out, strings.Fields(m)[0])
			continue
		}
		s, _ := strconv.Unquote(q)
		out = append(out, s)
	}
	return out
}
