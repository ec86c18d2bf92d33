package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
)

// zerosConfig writes every key that may be 0 or "" as 0 or "" (KEY is a
// DKIM key file): the printout must show each as the value it runs with.
const zerosConfig = `store: {keep: 0s, min_free_bytes: 0}
sink:
  listeners:
    - name: mx
      listen: "127.0.0.1:0"
      tls: ""
      auth: {mode: ""}
      greeting: ""
      pregreet: {wait: 0s, reply: ""}
      limits: {max_connections: 0, max_connections_per_client: 0, max_message_bytes: 0, max_recipients: 0, max_refused_recipients: 0, min_data_rate: 0, max_line_length: 0, idle_timeout: 0s, rate: {per_second: 0, burst: 0, reply: ""}}
  bounce: {relay: "", reporting_mta: ""}
  verify: {timeout: 0s}
relay:
  listen: ""
  tls_listen: ""
  hostname: ""
  allowed_networks: []
  max_message_bytes: 0
  max_connections: 0
  workers: 0
  batch: 0
  paths:
    - {name: sh, host: "127.0.0.1:2525", type: "", tls: "", auth: "", helo: "", destination: "", backoff: 0s, messages_per_connection: 0, connect_timeout: 0s, command_timeout: 0s, data_timeout: 0s, max_connections: 0, max_recipients: 0, rate: 0}
    - {name: auth, host: "127.0.0.1:2526", tls: required, username: u, password: p}
    - {name: direct, type: mx, port: 0, max_mx_addresses: 0, max_mx_sessions: 0}
  routes:
    - {recipients: [corp.test], paths: [direct], timezone: "", min_attempt: 0, max_attempt: 0}
    - {name: rest, paths: [sh, auth], fallback: "", fallback_after: 0}
  retry: {preset: "", kind: exponential, initial: 1m, factor: 2, max: 0s, jitter: 0, max_age: 0s, bounce_max_age: 0s, max_attempts: 0}
  classify: [{disposition: retry, category: greylisted}]
  dsn: {delay_warning: 0s, bounce_address: ""}
  suppression: {soft_bounces: 0}
  dkim: [{domain: Shop.Test., selector: s1, key_file: KEY}]
probe: {helo: "", webhook: {url: ""}}
web: {listen: "", disabled: true, allowed_origins: []}
`

// readmeRelay is the README's relay example, with loopback smarthosts.
const readmeRelay = `relay:
  listen: 127.0.0.1:2587
  allowed_networks: [127.0.0.0/8, "::1/128"]
  users: {app: s3cret}
  max_connections: 1000
  paths:
    - {name: primary, host: "127.0.0.1:2587", tls: required, username: u, password: p}
    - {name: backup, host: "127.0.0.1:2525", tls: opportunistic}
    - {name: direct, type: mx, max_connections: 5, rate: 10, max_mx_sessions: 2, max_recipients: 100, warmup: [50, 100, 200, 400], warmup_start: "2026-12-01"}
  routes:
    - {name: corporate, recipients: ["*.corp.test"], paths: [direct]}
    - {name: default, paths: [primary, backup], fallback: direct, fallback_after: 3}
  retry: {preset: postfix}
  dsn: {delay_warning: 4h, verp: true}
  dkim:
    - {domain: Shop.Test., selector: s2026, key_file: KEY}
`

// configFiles writes zerosConfig and readmeRelay, with a DKIM key, and
// returns their names.
func configFiles(t *testing.T) (zeros, readme string) {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "dkim.pem")
	if code, _, errs := runCmd(t, "", "dkim", "keygen", "--domain", "shop.test", "--selector", "s1", "--type", "ed25519", "--out", key); code != 0 {
		t.Fatalf("dkim keygen: exit %d, %s", code, errs)
	}
	zeros, readme = filepath.Join(dir, "zeros.yaml"), filepath.Join(dir, "readme.yaml")
	os.WriteFile(zeros, []byte(strings.ReplaceAll(zerosConfig, "KEY", key)), 0o644)
	os.WriteFile(readme, []byte(strings.ReplaceAll(readmeRelay, "KEY", key)), 0o644)
	return zeros, readme
}

// printed runs relaylab config on file ("" for none) and decodes what it
// prints.
func printed(t *testing.T, file string, args ...string) (string, *fileConfig) {
	t.Helper()
	if file != "" {
		args = append(args, "--config", file)
	}
	code, out, errs := runCmd(t, "", append([]string{"config"}, args...)...)
	if code != 0 {
		t.Fatalf("config %v: exit %d, %s", args, code, errs)
	}
	var c fileConfig
	if err := yaml.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("the printout does not decode: %v\n%s", err, out)
	}
	return out, &c
}

// TestConfigPrintsRunValues: relaylab config prints the values relaylab
// runs with where a key is left out or written as 0 or "": the relay's
// connection cap (1000), a path's backoff (5m) and a smarthost's
// destination (host), transcripts (true), a DKIM domain as signatures
// name it, and the sink's greeting and limits; the printout loads back
// as the same configuration. It printed 0, 0s, "" and no transcripts.
func TestConfigPrintsRunValues(t *testing.T) {
	t.Parallel()
	zeros, readme := configFiles(t)
	_, def := printed(t, "")
	_, z := printed(t, zeros, "--show-secrets")
	_, rd := printed(t, readme)
	backoff := relay.DefaultBackoff
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"defaults: relay.max_connections", def.Relay.MaxConnections, 1000},
		{"defaults: relay.paths[0].backoff", def.Relay.Paths[0].Backoff.D(), backoff},
		{"defaults: relay.transcripts", def.Relay.Transcripts != nil && *def.Relay.Transcripts, true},
		{"defaults: relay.dsn.bounce_address", def.Relay.DSN.BounceAddress, "bounces@relaylab.localhost"},
		{"defaults: sink greeting", def.Sink.Listeners[0].Greeting, "relaylab sink ready"},
		{"zeros: relay.hostname", z.Relay.Hostname, "relaylab.localhost"},
		{"zeros: relay.workers", z.Relay.Workers, 64},
		{"zeros: relay.batch", z.Relay.Batch, 256},
		{"zeros: relay.max_connections", z.Relay.MaxConnections, 1000},
		{"zeros: relay.paths[0].destination", z.Relay.Paths[0].Destination, "host"},
		{"zeros: relay.paths[0].backoff", z.Relay.Paths[0].Backoff.D(), backoff},
		{"zeros: relay.paths[0].helo", z.Relay.Paths[0].Helo, "relaylab.localhost"},
		{"zeros: relay.paths[0].messages_per_connection", z.Relay.Paths[0].MessagesPerConnection, 100},
		{"zeros: relay.paths[1].auth", z.Relay.Paths[1].Auth, "PLAIN"},
		{"zeros: relay.paths[2].port", z.Relay.Paths[2].Port, 25},
		{"zeros: relay.routes[0].timezone", z.Relay.Routes[0].Timezone, "UTC"},
		{"zeros: relay.retry.max", z.Relay.Retry.Max.D(), 24 * time.Hour},
		{"zeros: relay.classify[0].advice", z.Relay.Classify[0].Advice, "read the reply text"},
		{"zeros: relay.dkim[0].domain", z.Relay.DKIM[0].Domain, "shop.test"},
		{"zeros: sink tls", z.Sink.Listeners[0].TLS, "starttls"},
		{"zeros: sink auth.mode", z.Sink.Listeners[0].Auth.Mode, "off"},
		{"zeros: sink rate.burst", z.Sink.Listeners[0].Limits.Rate.Burst, 1},
		{"zeros: sink pregreet.wait", z.Sink.Listeners[0].Pregreet.Wait.D(), 6 * time.Second},
		{"zeros: sink.verify.timeout", z.Sink.Verify.Timeout.D(), 5 * time.Second},
		{"README: relay.paths[0].destination", rd.Relay.Paths[0].Destination, "host"},
		{"README: relay.paths[1].destination", rd.Relay.Paths[1].Destination, "host"},
		{"README: relay.paths[1].backoff", rd.Relay.Paths[1].Backoff.D(), backoff},
		{"README: relay.paths[2].backoff", rd.Relay.Paths[2].Backoff.D(), backoff},
		{"README: relay.dkim[0].domain", rd.Relay.DKIM[0].Domain, "shop.test"},
		{"README: relay.transcripts", rd.Relay.Transcripts != nil && *rd.Relay.Transcripts, true},
	} {
		if c.got != c.want {
			t.Errorf("%s: printed %v, runs with %v", c.what, c.got, c.want)
		}
	}
	// Loaded back, the printout is the same configuration.
	for _, file := range []string{zeros, readme} {
		out, _ := printed(t, file, "--show-secrets")
		again := filepath.Join(t.TempDir(), "printed.yaml")
		os.WriteFile(again, []byte(out), 0o644)
		if out2, _ := printed(t, again, "--show-secrets"); body(out2) != body(out) {
			t.Errorf("%s: the printout does not load back the same:\nfirst:\n%s\nagain:\n%s", file, body(out), body(out2))
		}
	}
}

// TestConfigPrintsNoStandInZeros walks every key of the printouts of the
// defaults, of a file of zeros and of the README's relay example: a 0,
// 0s, "" or null left in them must be the key's own value, one
// zeroMeanings lists with what it means (no limit, none, never), and
// that meaning is printed beside it; a zero for a default the runtime
// substitutes (relay.max_connections: 0 for 1000) fails. Every entry of
// zeroMeanings is met, so that the list says no more than is true.
func TestConfigPrintsNoStandInZeros(t *testing.T) {
	t.Parallel()
	zeros, readme := configFiles(t)
	met := map[string]bool{}
	for _, file := range []string{"", zeros, readme} {
		out, _ := printed(t, file)
		if file == "" {
			file = "the defaults"
		}
		if strings.Contains(out, "selects the built-in behaviour") {
			t.Errorf("%s: the header still says a 0 selects a default:\n%s", file, out)
		}
		found, err := zeroKeys([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(out, "\n")
		for _, z := range found {
			g := genericKey(z.key)
			m, ok := zeroMeanings[g]
			met[g] = met[g] || ok
			switch {
			case !ok && z.list: // an empty list is most often just empty
			case !ok:
				t.Errorf("%s: %s is printed as %q, a zero that is not the key's own value: print the value relaylab runs with (relay.Config.WithDefaults, sinkDefaults), or add %q to zeroMeanings with what the zero does", file, z.key, strings.TrimSpace(lines[z.line-1]), g)
			case m != "" && !strings.Contains(lines[z.line-1], "# "+m):
				t.Errorf("%s: %s: line %q lacks its meaning %q", file, z.key, lines[z.line-1], m)
			}
		}
	}
	for k := range zeroMeanings {
		if !met[k] {
			t.Errorf("zeroMeanings has %s, which no printout shows as a zero: cover it in zerosConfig, or remove it", k)
		}
	}
}

// TestConfigSinkDefaultsAsRun: the greeting, rate-limit reply and
// pregreet reply that relaylab config prints for a listener that leaves
// them out are the ones a sink started from that file sends.
func TestConfigSinkDefaultsAsRun(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "sink.yaml")
	os.WriteFile(file, []byte(`sink:
  listeners:
    - {name: a, listen: "127.0.0.1:0", tls: none, limits: {rate: {per_second: 0.001}}}
    - {name: b, listen: "127.0.0.1:0", tls: none, pregreet: {wait: 1s}}
  bounce: {relay: ""}
`), 0o644)
	_, p := printed(t, file)
	c, err := loadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Sync: store.SyncOff, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sk, err := sink.New(c.Sink, sink.Options{Store: st, Logger: quiet})
	if err == nil {
		err = sk.Start(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Shutdown(ctx)
	addrs := sk.HostPorts()

	conn, r := dialSink(t, addrs["a"])
	defer conn.Close() // before the sink's Shutdown, which waits for it
	a := p.Sink.Listeners[0]
	if got, want := readReply(t, r), "220 "+a.Hostname+" ESMTP "+a.Greeting; got != want {
		t.Errorf("greeting %q, printed %q", got, want)
	}
	io.WriteString(conn, "EHLO client.test\r\n")
	readReply(t, r)
	io.WriteString(conn, "MAIL FROM:<a@x.test>\r\n")
	readReply(t, r)
	io.WriteString(conn, "RSET\r\n")
	readReply(t, r)
	io.WriteString(conn, "MAIL FROM:<a@x.test>\r\n")
	if got := readReply(t, r); got != a.Limits.Rate.Reply {
		t.Errorf("MAIL over the rate limit: %q, printed %q", got, a.Limits.Rate.Reply)
	}

	early, er := dialSink(t, addrs["b"])
	defer early.Close()
	io.WriteString(early, "EHLO early.test\r\n") // before the greeting
	if got, want := readReply(t, er), p.Sink.Listeners[1].Pregreet.Reply; got != want {
		t.Errorf("a client that spoke first got %q, printed %q", got, want)
	}
}

// dialSink connects to a sink listener; the caller closes the connection.
func dialSink(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(time.Minute))
	return conn, bufio.NewReader(conn)
}

// readReply reads one reply, the lines of a multiline one joined as the
// last line's text (enough for the single-line replies compared here).
func readReply(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading a reply: %v", err)
		}
		l = strings.TrimRight(l, "\r\n")
		if len(l) < 4 || l[3] != '-' {
			return l
		}
	}
}

// TestRedactedPrintoutRefusedAtOnce: a printout of relaylab config without
// --show-secrets, loaded back, is refused with every "<redacted>" in one
// error, each by file, line, column and key, in the order of the file,
// so that they are all put back in one go. Only the first was named.
func TestRedactedPrintoutRefusedAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "profiles.yaml"), []byte("profiles:\n  - {name: corp, domains: [corp.test], rules: [{stage: rcpt, reply: \"550 5.1.1 no\"}]}\n"), 0o644)
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte(configWithSecrets), 0o644)
	shown, _ := printed(t, cfg)
	red := filepath.Join(t.TempDir(), "red.yaml")
	os.WriteFile(red, []byte(shown), 0o644)
	var want []string // "red.yaml:LINE:", in the file's order
	for i, l := range strings.Split(shown, "\n") {
		if strings.Contains(l, redacted) {
			want = append(want, red+":"+strconv.Itoa(i+1)+":")
		}
	}
	code, out, errs := runCmd(t, "", "config", "--config", red)
	if code != 2 || out != "" || len(want) != 5 {
		t.Fatalf("exit %d (want 2), stdout %q, %d lines with %s (want 5)", code, out, len(want), redacted)
	}
	if !strings.Contains(errs, "the same goes for 4 more secrets:") {
		t.Errorf("stderr does not count the 4 others:\n%s", errs)
	}
	last := -1
	for i, w := range want {
		at := strings.Index(errs, w)
		if at < 0 || at < last {
			t.Errorf("stderr lacks %q (%s number %d) after the one before:\n%s", w, redacted, i+1, errs)
		}
		last = at
	}
	for _, key := range []string{"sink.listeners[0].auth.users.alice", "relay.users.app", "relay.paths[0].password", "web.token", "probe.webhook.url"} {
		if !strings.Contains(errs, key) {
			t.Errorf("stderr does not name %s:\n%s", key, errs)
		}
	}
	// A file with one "<redacted>" is refused as before, with no count.
	one := filepath.Join(t.TempDir(), "one.yaml")
	os.WriteFile(one, []byte("web: {user: admin, password: <redacted>}\n"), 0o644)
	code, _, errs = runCmd(t, "", "config", "--config", one)
	if code != 2 || !strings.Contains(errs, "one.yaml:1:30: web.password: \"<redacted>\" is what relaylab config prints") || strings.Contains(errs, "the same goes for") {
		t.Errorf("one <redacted>: exit %d, stderr %q", code, errs)
	}
}
