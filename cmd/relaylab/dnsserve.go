package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/dnstest"
)

func init() {
	register(command{name: "dns", summary: "serve zone files as a DNS server on loopback, for relay.resolvers, probe.resolvers and relaylab probe --resolver in tests", run: runDNS})
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
direct MX delivery, null MX, CNAME chains and DNS failures, and
probe.resolvers (or relaylab probe --resolver) to probe test domains and
blocklists, with nothing leaving the machine. A name in no zone gets
REFUSED. A comment directive
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
	fmt.Fprintf(e.stdout, "and for the probes as   probe: {resolvers: [%s]}   or   relaylab probe DOMAIN --resolver %s\n", strconv.Quote(srv.Addr), srv.Addr)
	qtype, qname := exampleQuery(ctx, srv.Addr, names)
	fmt.Fprintf(e.stdout, "try: dig @%s -p %s %s %s\n", hostOf(srv.Addr), portOf(srv.Addr), qtype, qname)
	fmt.Fprintln(e.stdout, "Ctrl-C stops.")
	// The queries of the servers replaced, less those exampleQuery asked.
	before := -srv.Queries()
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

// exampleQuery is a query that the zones served at addr (names) answer,
// for the banner to suggest: the MX of a zone that has one; else the
// test point of a DNS blocklist (2.0.0.127.ZONE, RFC 5782 5), which
// every IP list answers; else the TXT of a zone that has one; else the
// SOA of the first zone that is not a reverse one. It asks the server
// itself, briefly: a zone that misbehaves on purpose is passed over.
func exampleQuery(ctx context.Context, addr string, names []string) (qtype, name string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var forward []string
	for _, n := range names {
		if !strings.HasSuffix(n, ".arpa") {
			forward = append(forward, n)
		}
	}
	if len(forward) == 0 {
		return "SOA", names[0]
	}
	forward = forward[:min(len(forward), 12)]
	c := &dns.Client{Timeout: 250 * time.Millisecond}
	answers := func(name string, t uint16) bool {
		if ctx.Err() != nil {
			return false
		}
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), t)
		r, _, err := c.ExchangeContext(ctx, m, addr)
		if err != nil || r.Rcode != dns.RcodeSuccess {
			return false
		}
		for _, rr := range r.Answer {
			if rr.Header().Rrtype == t {
				return true
			}
		}
		return false
	}
	for _, try := range []struct {
		qtype  uint16
		prefix string
	}{{dns.TypeMX, ""}, {dns.TypeA, "2.0.0.127."}, {dns.TypeTXT, ""}} {
		for _, z := range forward {
			if answers(try.prefix+z, try.qtype) {
				return dns.TypeToString[try.qtype], try.prefix + z
			}
		}
	}
	return "SOA", forward[0]
}
