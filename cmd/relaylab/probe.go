package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/probe"
)

func init() {
	register(command{name: "probe", summary: "check a domain's SPF, DKIM, DMARC, MX, MTA-STS and IPs against blocklists", run: runProbe})
}

// runProbe is "relaylab probe DOMAIN [--ip IP]... [--selector S]...
// [--resolver HOST:PORT]... [--json]": exit 0 clean, 1 with findings at
// error level, 2 on bad input.
func runProbe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "probe", "DOMAIN [--ip IP]... [--selector S]... [--resolver HOST:PORT]... [--json]")
	var ips, selectors, resolvers multiFlag
	fs.Var(&ips, "ip", "a sending IP to check against blocklists, PTR and SPF (repeatable)")
	fs.Var(&selectors, "selector", "a DKIM selector to check besides the common ones (repeatable)")
	fs.Var(&resolvers, "resolver", "a DNS server HOST:PORT to ask (repeatable; default: /etc/resolv.conf)")
	asJSON := fs.Bool("json", false, "write the report as JSON (schema: probe/SCHEMA.md)")
	helo := fs.String("helo", "", "the HELO name the IPs use (default: the domain)")
	zonesFile := fs.String("zones", "", "a YAML file listing blocklist zones (default: the built-in list)")
	noBL := fs.Bool("no-blocklists", false, "skip blocklist queries")
	timeout := fs.Duration("timeout", 3*time.Second, "time allowed for one DNS query")
	if err := parseFlags(fs, interleaveProbe(args)); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError("one domain at a time, got %q", fs.Args())
	}
	req := probe.Request{Selectors: selectors, Helo: *helo, NoBlocklists: *noBL}
	if fs.NArg() == 1 {
		d := strings.TrimSuffix(strings.ToLower(fs.Arg(0)), ".")
		if _, ok := dns.IsDomainName(d); !ok || !strings.Contains(d, ".") || strings.ContainsAny(d, "@/: ") {
			return usageError("%q is not a domain name such as example.com", fs.Arg(0))
		}
		req.Domain = d
	}
	for _, s := range ips {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return usageError("--ip %q is not an IP address", s)
		}
		req.IPs = append(req.IPs, a)
	}
	if req.Domain == "" && len(req.IPs) == 0 {
		fs.Usage()
		return usageError("name a domain, or at least one --ip")
	}
	for _, s := range selectors {
		if _, ok := dns.IsDomainName(s); !ok || strings.Contains(s, ".") && strings.HasSuffix(s, ".") {
			return usageError("--selector %q is not a selector name", s)
		}
	}
	if *zonesFile != "" {
		var zs []probe.Zone
		if err := config.Load(*zonesFile, &zs); err != nil {
			return usageError("%v", err)
		}
		for i := range zs {
			if err := zs[i].Validate(fmt.Sprintf("[%d].", i)); err != nil {
				return usageError("%s: %v", *zonesFile, err)
			}
		}
		req.Zones = zs
	}
	for i, s := range resolvers {
		n, err := resolver.NormalizeServer(s)
		if err != nil {
			return usageError("--resolver: %v", err)
		}
		resolvers[i] = n
	}
	r, err := resolver.New(resolver.Options{Servers: resolvers, Timeout: *timeout})
	if err != nil {
		return usageError("%v", err)
	}
	rep := probe.Run(ctx, probe.Deps{Resolver: r}, req)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.WriteText(e.stdout); err != nil {
		return err
	}
	if rep.HasErrors() {
		return &exitError{code: 1}
	}
	return nil
}

// interleaveProbe moves the positional DOMAIN after the flags, so that
// "relaylab probe example.com --json" works as well as the other order.
func interleaveProbe(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-"):
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && probeFlagTakesValue(name) && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

func probeFlagTakesValue(name string) bool {
	switch name {
	case "ip", "selector", "resolver", "helo", "zones", "timeout":
		return true
	}
	return false
}
