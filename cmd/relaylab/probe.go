package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/probe"
)

func init() {
	register(command{name: "probe", summary: "check a domain's SPF, DKIM, DMARC, MX, MTA-STS, TLS-RPT, BIMI and IPs' blocklists, PTR", run: runProbe})
}

// exitUnchecked is probe's exit code when nothing was found at error level
// but a check could not be completed (status unknown): not known to be
// clean, so not 0.
const exitUnchecked = 3

// maxProbeTimeout bounds --timeout as probe.timeout is bounded.
const maxProbeTimeout = probe.MaxTimeout

const probeSynopsis = `[DOMAIN] [--ip IP]... [--helo NAME]... [--selector S]... [--resolver IP:PORT | --zone FILE]... [--zones FILE] [--no-blocklists] [--no-bimi-logo] [--no-mx-tls] [--timeout D] [--mta-sts-ca FILE] [--mta-sts-port PORT] [--mx-ca FILE] [--mx-port PORT] [--json]

Checks a domain's records and sending IPs (a DOMAIN, at least one --ip,
or both), the way receivers will read them: SPF (syntax, the 10-lookup and 2-void-lookup limits, check_host for
each --ip), DKIM keys (common selectors and each --selector), DMARC (with
the organisational domain's record for a subdomain, report addresses),
MX, MTA-STS (the policy is fetched over HTTPS), TLS-RPT, BIMI (with the
DMARC policy it needs, and its logo fetched over HTTPS, within 10s and
32 KiB, and checked as SVG Tiny PS: baseProfile tiny-ps, version 1.2, a
title, square, no scripts, animation or references outside it), whether
the zone is signed with DNSSEC (DNSKEY against the parent's DS, and whether
the resolver says it validated it: the AD bit, worth only as much as the
path to that resolver) and each MX host's TLS (mx-tls: the probe connects
to port 25 as a sender does, says EHLO with the --helo name (one for
all the IPs) or else its own address, checks that STARTTLS is offered,
that the certificate leads to a trusted CA, covers the host name and has
not expired (a warning within 14 days of expiry), and TLS 1.2 or later; an MTA-STS policy in enforce or testing mode makes a failure an
error; within 10s per connection and 30s per host, hosts in parallel; an
MX that cannot be reached is a warning, since port 25 is often blocked
from laptops and cloud VMs; --no-mx-tls leaves it out); with --ip,
blocklists, reverse DNS (PTR) and SPF for that IP: check_host as
postmaster@DOMAIN and, with --helo, also without a DOMAIN, for the HELO
name (RFC 7208 2.3), which is compared with the IP's PTR name too. One
--helo is every IP's; IPs that say their own names give --helo once for
every --ip, in order (--ip A --helo mail-a.example --ip B --helo
mail-b.example).

Each check has a status (ok, warning, error, unknown) and findings:
error means mail is or will be refused or the record is broken, warning a
risk, info a fact. A finding says what is wrong, why it matters and what
to publish instead, then names the DNS name it concerns, the RFC section
and a stable code (such as spf.lookup-limit) to search for.

Example: relaylab probe example.com --ip 192.0.2.25 --selector s2026

To try it offline, --zone serves zone files (RFC 1035 master format) on
127.0.0.1 and asks only that server, so nothing leaves this machine (an
MTA-STS policy or a BIMI logo is fetched only from a loopback address; one
elsewhere is not fetched, and the check is unknown). To check an
MTA-STS policy offline, serve it over HTTPS yourself on a loopback port
with a certificate for mta-sts.DOMAIN from a test CA, point mta-sts.DOMAIN
at 127.0.0.1 in the zone, and give --mta-sts-ca CA.pem --mta-sts-port PORT;
a BIMI logo is fetched with the same CA and port, from the host of l=
(--no-bimi-logo checks the BIMI record without fetching its logo).
With --zone, the MX hosts are connected to only with --mx-port PORT, on
their loopback addresses (port 25 here is this machine's own mail
server, if any): run an SMTP server with STARTTLS there, and give
--mx-ca CA.pem for its test CA. From a checkout, against the zones the
tests use (nothing serves their BIMI logo):

  relaylab probe clean.auth.test --ip 192.0.2.50 --helo sender.auth.test --zone testdata/dns --no-blocklists --no-bimi-logo
  relaylab probe --ip 192.0.2.10 --zone testdata/dns --zones testdata/probe/zones.yaml

Exit status: 0 when every check completed and none found an error, 1 when
a finding is at error level, 2 for bad input (a domain, or more than one,
selector, IP, HELO name, resolver, timeout, port, zones file, --zone file
(one that does not parse or holds no records), --mta-sts-ca or --mx-ca
file, or flags that do not go together: --selector, --mta-sts-ca,
--no-bimi-logo, --no-mx-tls, --mx-ca or --mx-port without a domain,
--helo without --ip, or more than once but not once per --ip, --zone
with --resolver,
--mta-sts-port or --mx-port without --zone, --mx-ca or --mx-port with
--no-mx-tls; with --json, stdout then holds a JSON error object that
names the flag or argument, probe/SCHEMA.md "Errors"), 3 when nothing
was at error level but a check could not be completed (status unknown: a
lookup failed or timed out, a blocklist zone was unhealthy, or an MTA-STS
policy or BIMI logo was not fetched; an absent record is a finding, not
that; an MX host that cannot be reached is a warning).`

func runProbe(ctx context.Context, e *env, args []string) error {
	// The flag package's own errors are printed while parsing, not
	// returned: a copy of what is printed then is --json's message.
	var printed bytes.Buffer
	fe := *e
	fe.stderr = io.MultiWriter(e.stderr, &printed)
	fs := newFlags(&fe, "probe", probeSynopsis)
	p, err := probeSetup(fs, args)
	if err != nil {
		if jsonAsked(fs, args) && !errors.Is(err, flag.ErrHelp) {
			writeProbeError(e.stdout, err, printed.String())
		}
		return err
	}
	defer p.close()
	rep := probe.Run(ctx, p.deps, p.req)
	if p.json {
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
	var unknown []string
	for _, c := range rep.Checks {
		if c.Status == probe.StatusUnknown {
			unknown = append(unknown, c.Check)
		}
	}
	if len(unknown) > 0 {
		hint := "check --resolver"
		if p.zone {
			hint = "names that no --zone file holds are refused, and an MTA-STS policy or BIMI logo whose host is not on loopback is not fetched"
		}
		return &exitError{code: exitUnchecked, err: fmt.Errorf("could not complete %s: a lookup failed or timed out, a blocklist was unhealthy, or a policy or logo was not fetched (see above; %s)", strings.Join(unknown, ", "), hint)}
	}
	return nil
}

// probeRun is what probe's flags and arguments ask for, checked: the
// request, what it runs with, and close, which stops the --zone server.
type probeRun struct {
	req   probe.Request
	deps  probe.Deps
	json  bool
	zone  bool
	close func()
}

// probeSetup parses and checks probe's flags and arguments. Every error
// is bad input (exit 2), named by its flag or argument (probeInputError).
func probeSetup(fs *flag.FlagSet, args []string) (*probeRun, error) {
	var ips, selectors, resolvers multiFlag
	fs.Var(&ips, "ip", "a sending IP to check against blocklists, PTR and SPF (repeatable)")
	fs.Var(&selectors, "selector", "a DKIM selector to check besides the common ones (repeatable)")
	fs.Var(&resolvers, "resolver", "a DNS server IP:PORT to ask (repeatable; default: /etc/resolv.conf)")
	var zoneFiles multiFlag
	fs.Var(&zoneFiles, "zone", "serve this zone file, or every *.zone file of this directory, on 127.0.0.1 and ask only that server: nothing leaves this machine (repeatable; not with --resolver)")
	asJSON := fs.Bool("json", false, "write the report as JSON, and bad input as a JSON error object, on stdout (schema: probe/SCHEMA.md)")
	var helos multiFlag
	fs.Var(&helos, "helo", "the HELO name the IPs use: checked with SPF and compared with their PTR names (without it, check_host for DOMAIN uses DOMAIN as HELO); give it once for all the IPs, or --helo once for every --ip, in order")
	zonesFile := fs.String("zones", "", "a YAML file listing blocklist zones (default: the built-in list)")
	noBL := fs.Bool("no-blocklists", false, "skip blocklist queries")
	noLogo := fs.Bool("no-bimi-logo", false, "check the BIMI record without fetching its logo (for zones whose logo is not served)")
	timeout := fs.Duration("timeout", 3*time.Second, "time allowed for one DNS query: more than 0, at most 1m")
	stsCA := fs.String("mta-sts-ca", "", "a PEM file of CA certificates trusted, besides the system's, for the HTTPS of the MTA-STS policy and the BIMI logo (a private or test CA)")
	stsPort := fs.Int("mta-sts-port", 0, "with --zone: fetch the MTA-STS policy and the BIMI logo over HTTPS from this port of the loopback address their host resolves to, instead of 443")
	noMXTLS := fs.Bool("no-mx-tls", false, "do not connect to the MX hosts' port 25 to check STARTTLS and their certificates (the mx-tls check)")
	mxCA := fs.String("mx-ca", "", "a PEM file of CA certificates trusted, besides the system's, for the MX hosts' certificates (a private or test CA)")
	mxPort := fs.Int("mx-port", 0, "with --zone: check the MX hosts' STARTTLS on this port of their loopback addresses, instead of 25 (without it, --zone connects to none)")
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return nil, err
	}
	// 0 is not "no limit": it would silently become the resolver's own
	// default, so it and negatives are refused, as is a wait so long that
	// a server that does not answer holds the probe for many minutes.
	if *timeout <= 0 || *timeout > maxProbeTimeout {
		return nil, flagError("--timeout", "", "--timeout %s: give a time more than 0 and at most %s, such as 3s, for one DNS query", *timeout, maxProbeTimeout)
	}
	if fs.NArg() > 1 {
		return nil, argError("", "one domain at a time, got %q", fs.Args())
	}
	p := &probeRun{req: probe.Request{Selectors: selectors, NoBlocklists: *noBL}, json: *asJSON, zone: len(zoneFiles) > 0, close: func() {}}
	req := &p.req
	if fs.NArg() == 1 {
		arg := fs.Arg(0)
		d, err := domainName(arg)
		if _, perr := netip.ParseAddr(strings.Trim(arg, "[]")); perr == nil {
			// Its records would be asked for as _dmarc.192.0.2.50 and
			// the like: an address is checked with --ip.
			return nil, argError(arg, "%s: to check an IP address (blocklists, PTR, SPF), give it with --ip: relaylab probe --ip %s, or relaylab probe DOMAIN --ip %s to check it as a sender for DOMAIN", err, strings.Trim(arg, "[]"), strings.Trim(arg, "[]"))
		}
		if err != nil {
			return nil, argError(arg, "%v", err)
		}
		req.Domain = d
	}
	for _, s := range ips {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, flagError("--ip", s, "--ip %q is not an IP address", s)
		}
		req.IPs = append(req.IPs, a)
	}
	if req.Domain == "" && len(req.IPs) == 0 {
		fs.Usage()
		return nil, argError("", "name a domain, or at least one --ip")
	}
	for _, s := range selectors {
		if err := selectorName(s); err != nil {
			return nil, flagError("--selector", s, "%v", err)
		}
	}
	// Flags that only apply to a part that was not asked for would be
	// ignored without a word: refuse them instead.
	if len(selectors) > 0 && req.Domain == "" {
		return nil, flagError("--selector", "", "--selector needs a DOMAIN: DKIM selectors are looked up under a domain")
	}
	if err := heloFlags(req, helos); err != nil {
		return nil, err
	}
	if *zonesFile != "" {
		zs, err := probe.LoadZones(*zonesFile)
		if err != nil {
			return nil, flagError("--zones", *zonesFile, "--zones: %v", err)
		}
		req.Zones = zs
	}
	for i, s := range resolvers {
		n, err := resolver.NormalizeServer(s)
		if err != nil {
			return nil, flagError("--resolver", s, "--resolver: %s", strings.TrimPrefix(err.Error(), "resolver: "))
		}
		resolvers[i] = n
	}
	if len(zoneFiles) > 0 && len(resolvers) > 0 {
		return nil, flagError("--zone", "", "--zone and --resolver together: --zone serves its zones on 127.0.0.1 and asks only that server; give one or the other")
	}
	if *stsPort != 0 && len(zoneFiles) == 0 {
		return nil, flagError("--mta-sts-port", "", "--mta-sts-port needs --zone: senders fetch MTA-STS policies from port 443; another port is only for a policy served on this machine")
	}
	if *stsPort < 0 || *stsPort > 65535 {
		return nil, flagError("--mta-sts-port", "", "--mta-sts-port %d: give a port from 1 to 65535", *stsPort)
	}
	if *noLogo && req.Domain == "" {
		return nil, flagError("--no-bimi-logo", "", "--no-bimi-logo needs a DOMAIN: the BIMI logo is a domain's")
	}
	if *stsCA != "" && req.Domain == "" {
		return nil, flagError("--mta-sts-ca", "", "--mta-sts-ca needs a DOMAIN: the MTA-STS policy is fetched for a domain")
	}
	mxTLS, err := mxTLSFlags(req.Domain, p.zone, *noMXTLS, *mxCA, *mxPort)
	if err != nil {
		return nil, err
	}
	p.deps = probe.Deps{QueryTimeout: *timeout, MXTLS: mxTLS}
	if p.zone {
		srv, err := serveZones(zoneFiles)
		if err != nil {
			return nil, flagError("--zone", "", "%v", err)
		}
		p.close = func() { srv.Close() }
		resolvers = multiFlag{srv.Addr}
	}
	r, err := resolver.New(resolver.Options{Servers: resolvers, Timeout: *timeout})
	if err != nil {
		p.close()
		return nil, flagError("--resolver", "", "%v", err)
	}
	p.deps.Resolver = r
	// MTA-STS policies and BIMI logos are fetched over HTTPS; with
	// --zone, from the address the zones give, only loopback ones, so
	// that nothing leaves.
	hc, err := probe.NewHTTPClientWith(r, probe.HTTPOptions{Timeout: 30 * time.Second,
		LoopbackOnly: p.zone, CAFile: *stsCA, Port: *stsPort})
	if err != nil {
		p.close()
		return nil, flagError("--mta-sts-ca", *stsCA, "--mta-sts-ca: %v", err)
	}
	p.deps.HTTPClient = hc
	p.deps.BIMILogo = !*noLogo
	return p, nil
}

// mxTLSFlags is the mx-tls check that --no-mx-tls, --mx-ca and --mx-port
// ask for: on by default for a domain, as checkdmarc checks STARTTLS
// unless told --skip-tls, since MTA-STS and DANE stand on it; the time
// it takes is bounded and an MX that cannot be reached is a warning. With
// --zone it connects to loopback addresses only, and only with --mx-port.
func mxTLSFlags(domain string, zone, off bool, ca string, port int) (*probe.MXTLSOptions, error) {
	switch {
	case domain == "" && (off || ca != "" || port != 0):
		return nil, flagError(mxTLSFlag(off, ca), "", "--no-mx-tls, --mx-ca and --mx-port need a DOMAIN: its MX hosts are the ones checked")
	case off && (ca != "" || port != 0):
		return nil, flagError(mxTLSFlag(false, ca), "", "--mx-ca and --mx-port with --no-mx-tls: they set up the mx-tls check, which --no-mx-tls leaves out; give one or the other")
	case port != 0 && !zone:
		return nil, flagError("--mx-port", "", "--mx-port needs --zone: senders deliver to port 25; another port is only for MX hosts served on this machine")
	case port < 0 || port > 65535:
		return nil, flagError("--mx-port", "", "--mx-port %d: give a port from 1 to 65535", port)
	case off || domain == "":
		return nil, nil
	}
	o := &probe.MXTLSOptions{LoopbackOnly: zone, Port: port}
	if ca != "" {
		pool, err := probe.CAPool(ca)
		if err != nil {
			return nil, flagError("--mx-ca", ca, "--mx-ca: %v", err)
		}
		o.Roots = pool
	}
	if err := o.CheckOptions(); err != nil {
		return nil, flagError("--mx-port", "", "--mx-port: %v", err)
	}
	return o, nil
}

// heloFlags sets the HELO names of req's IPs from --helo: one for every
// IP, or one per IP in the order of --ip.
func heloFlags(req *probe.Request, helos []string) error {
	if len(helos) == 0 {
		return nil
	}
	if len(req.IPs) == 0 {
		return flagError("--helo", "", "--helo needs at least one --ip: the HELO name is checked against the IPs' PTR and SPF")
	}
	if len(helos) > 1 && len(helos) != len(req.IPs) {
		return flagError("--helo", "", "%d --helo for %d --ip: give one --helo for all the IPs, or one --helo for every --ip, in order", len(helos), len(req.IPs))
	}
	names := make([]string, len(helos))
	for i, s := range helos {
		h, err := domainName(s)
		if err != nil {
			return flagError("--helo", s, "--helo: %v", err)
		}
		names[i] = h
	}
	if len(names) == 1 {
		req.Helo = names[0]
		return nil
	}
	req.IPHelos = map[netip.Addr]string{}
	for i, ip := range req.IPs {
		if h, ok := req.IPHelos[ip]; ok && h != names[i] {
			return flagError("--ip", ip.String(), "--ip %s is given twice, with --helo %s and --helo %s: give each IP once", ip, h, names[i])
		}
		req.IPHelos[ip] = names[i]
	}
	return nil
}

// domainName checks a domain given on the command line and returns it in
// lower case without a final dot (probe.DomainName, which the watchlist
// uses too).
func domainName(s string) (string, error) {
	d, err := probe.DomainName(s)
	if errors.Is(err, probe.ErrIPAddress) {
		return "", fmt.Errorf("%q is an IP address, not a domain name such as example.com", s)
	}
	if err != nil {
		return "", fmt.Errorf("%q is not a domain name such as example.com: %v", s, err)
	}
	return d, nil
}

// selectorName checks a DKIM selector: one or more labels, which may hold
// underscores (RFC 6376 3.1: a selector is a sub-domain).
func selectorName(s string) error {
	if _, err := probe.SelectorName(s); err != nil {
		return fmt.Errorf("--selector %q is not a selector name such as s2026: %v", s, err)
	}
	return nil
}

// dnsName checks a host name of letters, digits and hyphens in labels
// separated by dots (RFC 1123 2.1), allowing underscores when underscore is
// set; probe and dkim keygen check every name they query or publish with it.
func dnsName(s string, underscore bool) error { return probe.CheckName(s, underscore) }
