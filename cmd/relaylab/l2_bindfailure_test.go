package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestL2ServeNamesTheListenerThatCannotBind: each listener serve binds
// (a sink listener, relay.listen, relay.tls_listen, web.listen) whose
// address another program holds stops serve (exit 1) with an error that
// names the file, the line and the key that gave the address, or the
// flag, and what to do. Serve said only the address and a list of every
// key and flag that might have given it.
func TestL2ServeNamesTheListenerThatCannotBind(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after the parallel subtests
	addr := busy.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	inUse := "listen tcp " + addr + ": bind: address already in use. "
	advice := ": another program listens there (another relaylab, or an MTA; lsof -iTCP:" + port + " -sTCP:LISTEN names it): stop it, or "
	for _, c := range []struct {
		name  string
		taken string // the key whose address is busy; "" for a flag
		flags []string
		want  string // the error line; FILE stands for the configuration file
	}{
		{"sink listener", "sink.listeners[1].listen", nil,
			"sink: listener backup: " + inUse + "It is sink.listeners[1].listen, at FILE:8" + advice + "move sink.listeners[1].listen in the configuration or move it with --sink-listen; port 0 takes any free one"},
		{"relay.listen", "relay.listen", nil,
			"relay: submission listener on " + addr + ": " + inUse + "It is relay.listen, at FILE:10" + advice + "move relay.listen in the configuration or move it with --relay-listen; port 0 takes any free one"},
		{"relay.tls_listen", "relay.tls_listen", nil,
			"relay: implicit-TLS submission listener on " + addr + ": " + inUse + "It is relay.tls_listen, at FILE:11" + advice + "move relay.tls_listen in the configuration; port 0 takes any free one"},
		{"web.listen", "web.listen", nil,
			"web: listen on " + addr + ": " + inUse + "It is web.listen, at FILE:13" + advice + "move web.listen in the configuration or move it with --web-listen; port 0 takes any free one"},
		{"--sink-listen", "", []string{"--sink-listen", "127.0.0.1:0", "--sink-listen", addr},
			"sink: listener backup: " + inUse + "It comes from --sink-listen" + advice + "move it with --sink-listen; port 0 takes any free one"},
		{"--relay-listen", "", []string{"--relay-listen", addr},
			"relay: submission listener on " + addr + ": " + inUse + "It comes from --relay-listen" + advice + "move it with --relay-listen; port 0 takes any free one"},
		{"--web-listen", "", []string{"--web-listen", addr},
			"web: listen on " + addr + ": " + inUse + "It comes from --web-listen" + advice + "move it with --web-listen; port 0 takes any free one"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			at := func(key string) string {
				if key == c.taken {
					return addr
				}
				return "127.0.0.1:0"
			}
			cfg := filepath.Join(dir, "c.yaml")
			os.WriteFile(cfg, []byte(fmt.Sprintf(`store:
  path: %q
sink:
  listeners:
    - name: mx
      listen: 127.0.0.1:0
    - name: backup
      listen: %s
relay:
  listen: %s
  tls_listen: %s
web:
  listen: %s
`, filepath.Join(dir, "s.db"), at("sink.listeners[1].listen"), at("relay.listen"), at("relay.tls_listen"), at("web.listen"))), 0o644)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a guard: serve that started would run on
			defer cancel()
			code, _, errOut := runIn(t, ctx, append([]string{"serve", "--config", cfg}, c.flags...)...)
			want := "relaylab serve: " + strings.ReplaceAll(c.want, "FILE", cfg)
			lines := strings.Split(strings.TrimSpace(errOut), "\n") // the log's lines come first
			if code != 1 || lines[len(lines)-1] != want {
				t.Errorf("exit %d (want 1), stderr\n%s\nwant\n%s", code, errOut, want)
			}
		})
	}
}

// TestL2BindFailureOfADefault: a listener at its default address (that
// no file, or not the file given, sets) is named by its key as the
// default, with the key to set and the flag that moves it; other reasons
// than a port in use get their own advice; and an error that is not a
// failed listen is left as it is.
func TestL2BindFailureOfADefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("relay:\n  listen: 192.0.2.1:2587\n"), 0o644)
	cfg := defaultConfig()
	cfg.Relay.Listen = "192.0.2.1:2587"
	list := serveListeners(cfg, 0, false, false)
	// As a component words it (the sink's, for each: bindFailure keeps
	// the words, whoever's they are), with its hint after the error.
	listenErr := func(addr string, errno syscall.Errno) error {
		a, _ := net.ResolveTCPAddr("tcp", addr)
		return fmt.Errorf("sink: listener mx: %w (a hint that lists every key and flag)", &net.OpError{Op: "listen", Net: "tcp", Addr: a, Err: os.NewSyscallError("bind", errno)})
	}
	for _, c := range []struct {
		name, component, file string
		err                   error
		want                  string
	}{
		{"no file", "sink.", "", listenErr("127.0.0.1:2525", syscall.EADDRINUSE),
			"sink: listener mx: listen tcp 127.0.0.1:2525: bind: address already in use. It is sink.listeners[0].listen's default (no configuration file): another program listens there (another relaylab, or an MTA; lsof -iTCP:2525 -sTCP:LISTEN names it): stop it, or set sink.listeners[0].listen in a configuration file (--config) or move it with --sink-listen; port 0 takes any free one"},
		{"a file without the key", "web.", file, listenErr("127.0.0.1:8025", syscall.EADDRINUSE),
			"sink: listener mx: listen tcp 127.0.0.1:8025: bind: address already in use. It is web.listen's default (" + file + " does not set it): another program listens there (another relaylab, or an MTA; lsof -iTCP:8025 -sTCP:LISTEN names it): stop it, or set web.listen in the configuration or move it with --web-listen; port 0 takes any free one"},
		{"not this machine's address", "relay.", file, listenErr("192.0.2.1:2587", syscall.EADDRNOTAVAIL),
			"sink: listener mx: listen tcp 192.0.2.1:2587: bind: cannot assign requested address. It is relay.listen, at " + file + ":2: 192.0.2.1 is not an address of this machine: move relay.listen in the configuration or move it with --relay-listen to one it has, such as 127.0.0.1"},
		{"a port below 1024", "web.", "", listenErr("127.0.0.1:8025", syscall.EACCES),
			"sink: listener mx: listen tcp 127.0.0.1:8025: bind: permission denied. It is web.listen's default (no configuration file): a port below 1024 needs root, or on Linux the capability CAP_NET_BIND_SERVICE: set web.listen in a configuration file (--config) or move it with --web-listen to a port of 1024 or more (such as 2525), or give relaylab that capability"},
		{"not a listen", "sink.", file, errors.New("sink: loading the certificate: no such file"), "sink: loading the certificate: no such file"},
	} {
		if got := bindFailure(c.err, c.component, list, c.file); got.Error() != c.want {
			t.Errorf("%s:\ngot  %s\nwant %s", c.name, got, c.want)
		}
	}
}
