package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/dnstest"
)

func init() {
	register(command{name: "dns", summary: "serve zone files as a DNS server on loopback, for relay.resolvers in tests", run: runDNS})
}

// runDNS serves zone files until stopped: the server relaylab probe
// --zone and replays use, for a relay (relaylab serve or relay) whose
// relay.resolvers should see test zones (direct MX, null MX, SERVFAIL)
// without any other DNS.
func runDNS(ctx context.Context, e *env, args []string) error {
	// "relaylab dns serve --zone ..." is a natural guess at the call
	// (other tools take a verb): serve may come first, and means the same.
	if len(args) > 0 && args[0] == "serve" {
		args = args[1:]
	}
	fs := newFlags(e, "dns", `[serve] --zone FILE|DIR... [--listen ADDR]

Serves zone files (RFC 1035 master format; a directory means every *.zone
file in it) as an authoritative DNS server over UDP and TCP, on loopback
by default, until Ctrl-C or SIGTERM: point relay.resolvers at it to test
direct MX delivery, null MX, CNAME chains and DNS failures with nothing
leaving the machine. A name in no zone gets REFUSED. A comment directive
makes a name and the names below it misbehave:

  ;@dnstest servfail broken.test.
  ;@dnstest timeout  slow.test.

(also refused, malformed, truncate, truncate-always, wrongtype, wrongname,
otherquestion, validated). SIGHUP reads the zone files again and serves
them on the same address (a query in the instant of the swap may go
unanswered, and is retried); when one no longer loads, the zones loaded
before are served on, and the error names its file and line. Exit status:
0 when stopped, 2 for bad flags or a zone file that does not load at the
start (file and line named), 1 when the address cannot be listened on.`)
	var zones multiFlag
	fs.Var(&zones, "zone", "a zone file, or a directory of *.zone files, to serve (repeatable)")
	listen := fs.String("listen", "127.0.0.1:5300", "the address to serve on, UDP and TCP (127.0.0.1:0 for any free port)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if rest := fs.Args(); len(rest) > 0 && !(len(rest) == 1 && rest[0] == "serve") {
		return usageError("dns takes no arguments, got %q: call it as relaylab dns --zone FILE|DIR [--listen 127.0.0.1:5300] (serve may come first: relaylab dns serve --zone FILE), with each zone file or directory after its own --zone", rest)
	}
	if len(zones) == 0 {
		return usageError("dns needs at least one --zone FILE (such as --zone testdata/dns)")
	}
	if err := config.ListenAddr(*listen); err != nil {
		return usageError("--listen %v (for example 127.0.0.1:5300, or 127.0.0.1:0 for any free port)", err)
	}
	srv, err := loadZones(zones, "--zone")
	if err != nil {
		return usageError("%v", err)
	}
	if err := srv.ListenAt(*listen); err != nil {
		return fmt.Errorf("--listen %s: %v (another process may hold the port: pick another, or 127.0.0.1:0 for any free one)", *listen, err)
	}
	names := zoneNames(srv)
	fmt.Fprintf(e.stdout, "relaylab dns is serving %d zone(s) on %s, UDP and TCP: %s\n", len(names), srv.Addr, strings.Join(names, ", "))
	fmt.Fprintf(e.stdout, "use it in a relay's configuration as   relay: {resolvers: [%s]}\n", strconv.Quote(srv.Addr))
	fmt.Fprintf(e.stdout, "try: dig @%s -p %s MX %s\n", hostOf(srv.Addr), portOf(srv.Addr), firstForward(names))
	fmt.Fprintln(e.stdout, "Ctrl-C stops.")
	var before int64 // the queries of the servers replaced
	for {
		select {
		case <-ctx.Done():
			srv.Close()
			fmt.Fprintf(e.stdout, "stopped after %d queries\n", before+srv.Queries())
			return nil
		case <-e.hup:
			next, err := reloadZones(srv, zones)
			if errors.Is(err, errNotServing) {
				return fmt.Errorf("relaylab dns: SIGHUP: %v: nothing is served now; start relaylab dns again", err)
			}
			if err != nil {
				fmt.Fprintf(e.stderr, "relaylab dns: SIGHUP: %v; still serving the zones loaded before\n", err)
				if next == nil {
					continue
				}
			}
			if next != srv {
				before += srv.Queries()
				srv = next
				names := zoneNames(srv)
				fmt.Fprintf(e.stdout, "reloaded the zones at SIGHUP: serving %d zone(s) on %s: %s\n", len(names), srv.Addr, strings.Join(names, ", "))
			}
		}
	}
}

// reloadZones loads the zone files again and serves them in place of
// cur, on its address: the new server, or, when a file does not load,
// nil and why (cur serves on). When the address cannot be taken again,
// cur is brought back on it, and returned with the error.
func reloadZones(cur *dnstest.Server, paths []string) (*dnstest.Server, error) {
	next, err := loadZones(paths, "--zone")
	if err != nil {
		return nil, err
	}
	addr := cur.Addr
	cur.Close()
	if err := next.ListenAt(addr); err != nil {
		if err2 := cur.ListenAt(addr); err2 != nil {
			return nil, fmt.Errorf("%w: serving the new zones on %s: %v, and the old ones again: %v", errNotServing, addr, err, err2)
		}
		return cur, fmt.Errorf("serving the new zones on %s: %v", addr, err)
	}
	return next, nil
}

// errNotServing is a reload that could serve neither the new zones nor
// the old ones again.
var errNotServing = errors.New("the address could not be taken again")

// zoneNames are the apexes srv serves, without their final dots.
func zoneNames(srv *dnstest.Server) []string {
	names := srv.Zones()
	for i, z := range names {
		names[i] = strings.TrimSuffix(z, ".")
	}
	return names
}

func hostOf(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }

func portOf(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

// firstForward is the first zone that is not a reverse one, to name in
// an example query.
func firstForward(names []string) string {
	for _, n := range names {
		if !strings.HasSuffix(n, ".arpa") {
			return n
		}
	}
	return names[0]
}
