package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/internal/textsafe"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/relay"
)

// dkimCheckFlags are the flags of dkim check.
type dkimCheckFlags struct {
	config, key      *string
	timeout          *time.Duration
	resolvers, zones multiFlag
	domain, selector string // --domain and --selector, shared with keygen
}

// dkimCheckOnly are the flags that only dkim check takes.
var dkimCheckOnly = []string{"config", "key", "resolver", "zone", "timeout"}

func (c *dkimCheckFlags) add(fs *flag.FlagSet) {
	c.config = fs.String("config", "", "check: the configuration file whose relay.dkim keys to check (and whose relay.resolvers to ask)")
	c.key = fs.String("key", "", "check: the private key file the relay signs --domain's mail with (PEM, as relay.dkim's key_file)")
	fs.Var(&c.resolvers, "resolver", "check: a DNS server IP:PORT to ask (repeatable; default: relay.resolvers of --config, else /etc/resolv.conf)")
	fs.Var(&c.zones, "zone", "check: serve this zone file, or every *.zone file of this directory, on 127.0.0.1 and ask only that server (repeatable; not with --resolver)")
	c.timeout = fs.Duration("timeout", 3*time.Second, "check: time allowed for one DNS query: more than 0, at most 1m")
}

// dkimCheckKey is one key the relay signs with.
type dkimCheckKey struct {
	domain, selector, file string
	// source says where it was named: relay.dkim[0], or --key.
	source string
	// others counts the domain's other relay.dkim keys; -1 when not
	// known (--key).
	others int
}

// dkimKeyReport is what dkim check found of one key.
type dkimKeyReport struct {
	key      dkimCheckKey
	name     string // SELECTOR._domainkey.DOMAIN
	kind     string // "ed25519", "rsa, 2048 bits"; "" when the file is not a key
	status   probe.Status
	findings []probe.Finding
	// publish is the record line to publish, when the one in DNS must
	// change (or there is none).
	publish string
}

// dkimCheck is dkim check.
func dkimCheck(ctx context.Context, e *env, c dkimCheckFlags) error {
	if *c.timeout <= 0 || *c.timeout > maxProbeTimeout {
		return usageError("dkim check: --timeout %s: give a time more than 0 and at most %s, such as 3s, for one DNS query", config.FormatDuration(*c.timeout), config.FormatDuration(maxProbeTimeout))
	}
	if len(c.zones) > 0 && len(c.resolvers) > 0 {
		return usageError("dkim check: --zone and --resolver together: --zone serves its zones on 127.0.0.1 and asks only that server; give one or the other")
	}
	keys, servers, err := c.keys()
	if err != nil {
		return err
	}
	if len(c.resolvers) > 0 {
		servers = nil // --resolver before relay.resolvers
		for _, s := range c.resolvers {
			n, err := resolver.NormalizeServer(s)
			if err != nil {
				return usageError("dkim check: --resolver: %s", strings.TrimPrefix(err.Error(), "resolver: "))
			}
			servers = append(servers, n)
		}
	}
	if len(c.zones) > 0 {
		srv, err := serveZones(c.zones)
		if err != nil {
			return usageError("dkim check: %v", err)
		}
		defer srv.Close()
		servers = []string{srv.Addr}
	}
	r, err := resolver.New(resolver.Options{Servers: servers, Timeout: *c.timeout, CacheSize: -1})
	if err != nil {
		return usageError("dkim check: %v", err)
	}
	reps := make([]dkimKeyReport, len(keys))
	for i, k := range keys {
		reps[i] = checkDKIMKey(ctx, r, k)
	}
	if err := writeDKIMReports(e.stdout, reps, r.Servers()); err != nil {
		return err
	}
	var publish, other, unknown []string
	for _, rep := range reps {
		switch {
		case rep.status == probe.StatusError && rep.publish != "":
			publish = append(publish, rep.name)
		case rep.status == probe.StatusError:
			other = append(other, rep.name)
		case rep.status == probe.StatusUnknown:
			unknown = append(unknown, rep.name)
		}
	}
	switch {
	case len(publish)+len(other) > 0:
		var parts []string
		if len(publish) == 1 {
			parts = append(parts, fmt.Sprintf("under %s: publish the record above", publish[0]))
		} else if len(publish) > 1 {
			parts = append(parts, fmt.Sprintf("under %s: publish the records above", strings.Join(publish, ", ")))
		}
		if len(other) > 0 {
			parts = append(parts, fmt.Sprintf("under %s: the errors above say what to do", strings.Join(other, ", ")))
		}
		return &exitError{code: 1, err: fmt.Errorf("dkim check: receivers cannot verify the relay's signatures %s", strings.Join(parts, "; "))}
	case len(unknown) > 0:
		return &exitError{code: exitUnchecked, err: fmt.Errorf("dkim check: could not look up %s (see above): whether receivers can verify those keys is not known; check --resolver", strings.Join(unknown, ", "))}
	}
	return nil
}

// keys are the keys to check, and the servers the configuration names
// (relay.resolvers).
func (c dkimCheckFlags) keys() ([]dkimCheckKey, []string, error) {
	given := c.domain != "" || c.selector != "" || *c.key != ""
	if given && (c.domain == "" || c.selector == "" || *c.key == "") {
		if *c.config != "" {
			// Walk V2: with --config this read as if --config were wrong.
			return nil, nil, usageError("dkim check: --domain, --selector and --key go together: with --config they name one key to check through the file's resolvers; without them, --config checks every relay.dkim key of the file")
		}
		return nil, nil, usageError("dkim check: --domain, --selector and --key go together: they name one key to check")
	}
	if !given && *c.config == "" {
		return nil, nil, usageError("dkim check: give --config FILE to check its relay.dkim keys, or --domain, --selector and --key to check one")
	}
	var servers []string
	var keys []dkimCheckKey
	if *c.config != "" {
		cfg, err := loadConfig(*c.config)
		if err != nil {
			return nil, nil, err
		}
		servers = cfg.Relay.Resolvers
		if !given {
			keys = relayDKIMKeys(cfg.Relay)
			if len(keys) == 0 {
				return nil, nil, usageError("dkim check: %s has no relay.dkim keys: the relay signs nothing, so there is nothing to check (relaylab dkim keygen makes a key)", *c.config)
			}
		}
	}
	if given {
		d, err := domainName(c.domain)
		if err != nil {
			return nil, nil, usageError("dkim check: --domain %v", err)
		}
		if err := relay.CheckSelector(c.selector); err != nil {
			return nil, nil, usageError("dkim check: --selector %v", err)
		}
		// A key file that cannot be read is bad input, as README's exit
		// status says (walk V2: it was exit 1, a key receivers fail).
		if _, err := readDKIMKey(*c.key); err != nil {
			return nil, nil, usageError("dkim check: --key: %v (relaylab dkim keygen makes a key)", err)
		}
		keys = append(keys, dkimCheckKey{domain: d, selector: c.selector, file: *c.key, source: "--key", others: -1})
	}
	return keys, servers, nil
}

// relayDKIMKeys are the keys of relay.dkim, each named by its place.
func relayDKIMKeys(cfg relay.Config) []dkimCheckKey {
	var keys []dkimCheckKey
	count := map[string]int{}
	for i, d := range cfg.WithDefaults().DKIM {
		keys = append(keys, dkimCheckKey{domain: d.Domain, selector: d.Selector, file: d.KeyFile, source: fmt.Sprintf("relay.dkim[%d]", i)})
		count[signingDomain(d.Domain)]++
	}
	for i := range keys {
		keys[i].others = count[signingDomain(keys[i].domain)] - 1
	}
	return keys
}

// signingDomain is a relay.dkim domain as the relay signs with it and
// the probe names it (lower case, no final dot, A-labels); as written
// when it is no domain name.
func signingDomain(d string) string {
	if n, err := probe.DomainName(d); err == nil {
		return n
	}
	return d
}

// withSigningSelectors returns p with the selectors relay.dkim signs each
// watched domain's mail with tied to that domain, as
// probe.domains[].selectors ties them: the watchlist then checks the keys
// the relay uses, a missing one as an error, instead of guessing common
// selectors (dkim.none-found, "default, selector1, ..."). p's own lists
// are not changed.
func withSigningSelectors(p probe.Config, rc relay.Config) probe.Config {
	keys := relayDKIMKeys(rc)
	if len(keys) == 0 {
		return p
	}
	doms := slices.Clone(p.Domains)
	for i := range doms {
		wd := &doms[i]
		wd.Selectors = slices.Clone(wd.Selectors)
		for _, k := range keys {
			sel, err := probe.SelectorName(k.selector)
			// With one watched domain, probe.selectors are its own
			// already (and tied and shared ones are checked together).
			if err != nil || signingDomain(k.domain) != signingDomain(wd.Name) || slices.Contains(wd.Selectors, sel) ||
				len(doms) == 1 && slices.Contains(p.Selectors, sel) {
				continue
			}
			wd.Selectors = append(wd.Selectors, sel)
		}
	}
	p.Domains = doms
	return p
}

// signingKey is k, whose private key is key, as the probe judges the
// record published for it, with the record to publish instead.
func (k dkimCheckKey) signingKey(key crypto.Signer) probe.SigningKey {
	rec, _ := relay.DNSRecord(key)
	return probe.SigningKey{Domain: k.domain, Selector: k.selector, Source: k.source, File: k.file, Public: key.Public(), Record: rec}
}

// signingKeys are the public halves of the relay.dkim keys, for the
// probe's findings and notes on the watched records they use; a key
// file that cannot be read is left out (the relay refuses to start with
// it).
func signingKeys(cfg relay.Config) []probe.SigningKey {
	var out []probe.SigningKey
	for _, k := range relayDKIMKeys(cfg) {
		if key, err := readDKIMKey(k.file); err == nil {
			out = append(out, k.signingKey(key))
		}
	}
	return out
}

// startDKIMCheck compares, in the background, each relay.dkim key with
// its DNS record through relay.resolvers, as dkim check does, and logs
// what would make receivers fail the relay's signatures as a warning, and
// a lookup that failed as a note; it never holds the start up. Its
// component waits for it at a stop.
func startDKIMCheck(ctx context.Context, cfg relay.Config, log *slog.Logger) *component {
	keys := relayDKIMKeys(cfg)
	if len(keys) == 0 {
		return nil
	}
	r, err := resolver.New(resolver.Options{Servers: cfg.Resolvers, Timeout: 3 * time.Second, CacheSize: -1})
	if err != nil {
		log.Info("the relay's DKIM keys are not compared with their DNS records at start: no resolver", "err", err)
		return nil
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, k := range keys {
			logDKIMReport(log, checkDKIMKey(cctx, r, k))
		}
	}()
	return &component{name: "dkim check", shutdown: func(context.Context) error { cancel(); <-done; return nil }}
}

// logDKIMReport logs, of a key's check at serve's start, each error of
// its record and a failed lookup; the key file's own faults (its size,
// its mode) are the relay's to say.
func logDKIMReport(log *slog.Logger, rep dkimKeyReport) {
	for _, f := range rep.findings {
		switch {
		case f.Code == "dkim.dns-error":
			log.Info("could not look up the DKIM record of "+rep.key.source+" at start: whether receivers can verify the relay's signatures with it is not known; relaylab dkim check --config tries again",
				"record", rep.name, "code", f.Code, "detail", f.Message)
		case f.Severity == probe.SevError && f.Code != "dkim.key-file" && f.Code != "dkim.weak-key":
			attrs := []any{"record", rep.name, "key_file", rep.key.file, "code", f.Code, "detail", strings.ReplaceAll(f.Message, "the record below", "the record in publish")}
			what := "its DNS record does not fit its key"
			if f.Code == "dkim.missing" {
				what = "it has no DNS record at " + rep.name
			}
			if rep.publish != "" {
				attrs = append(attrs, "publish", rep.publish)
				what += "; publish the record in publish"
			}
			log.Warn("receivers cannot verify the relay's signatures with "+rep.key.source+": "+what+"; relaylab dkim check --config says the same", attrs...)
		}
	}
}

// What receivers do with the relay's signatures, in RFC 6376 6.1.2's and
// 6.1.3's words, and what follows.
const (
	noKey      = `receivers find no key for the relay's signatures ("no key for signature", RFC 6376 6.1.2) and record dkim=permerror or dkim=neutral`
	noDMARC    = probe.RelayDKIMFailsDMARC
	publishFix = "publish the record below"
)

// checkDKIMKey looks up k's record and judges it against k's key.
func checkDKIMKey(ctx context.Context, r resolver.Resolver, k dkimCheckKey) dkimKeyReport {
	rep := dkimKeyReport{key: k, name: k.selector + "._domainkey." + k.domain}
	add := func(sev probe.Severity, code, record, rfc, format string, args ...any) {
		rep.findings = append(rep.findings, probe.Finding{Check: "dkim", Severity: sev, Code: "dkim." + code,
			Message: fmt.Sprintf(format, args...), Name: rep.name, Record: record, RFC: rfc})
	}
	key, err := readDKIMKey(k.file)
	if err != nil {
		add(probe.SevError, "key-file", "", "", "%v, so the relay cannot sign with it: make a key with relaylab dkim keygen", err)
		rep.status = probe.StatusError
		return rep
	}
	rep.kind = keyKind(key)
	rep.publish, _ = dkimTXTLine(k.selector, k.domain, key)
	if w := relay.KeyFileExposed(k.file); w != "" {
		add(probe.SevWarning, "key-file-mode", "", "", "%s", w)
	}
	if w := (relay.DKIMConfig{Domain: k.domain, Selector: k.selector, KeyFile: k.file}).SignsNothing(); w != "" {
		add(probe.SevWarning, "signs-nothing", "", "RFC 7489 3.2", "%s", w)
	}
	if keyType(key) == "ed25519" && k.others <= 0 {
		// Info, not a warning: the record may be in order, and the
		// configuration's warnings say it of relay.dkim already.
		what, cond := "the only key "+k.domain+" signs with", ""
		if k.others < 0 {
			what, cond = "and --key checks one key", "if it is the only key "+k.domain+" signs with, "
		}
		add(probe.SevInfo, "ed25519-only", "", "RFC 8463", "%s is an Ed25519 key, %s: %s", k.file, what, ed25519Alone(k.domain, k.selector, cond))
	}
	weak := false
	if rk, ok := key.(*rsa.PrivateKey); ok {
		switch n := rk.N.BitLen(); {
		case n < 1024:
			add(probe.SevError, "weak-key", "", "RFC 8301 3.2", "%s is an RSA key of %d bits: verifiers must not accept signatures made with keys under 1024 bits, and the relay refuses to sign with it: make a 2048-bit key with relaylab dkim keygen and publish its record", k.file, n)
			rep.publish, weak = "", true
		case n < 2048:
			add(probe.SevWarning, "short-key", "", "RFC 8301 3.2", "%s is an RSA key of %d bits: allowed, but 2048 bits is the current recommendation; make a 2048-bit key with relaylab dkim keygen when you next rotate", k.file, n)
		}
	}
	if weak {
		// The record of a key the relay refuses matters no more than
		// the key: the new key's record replaces it.
		if txt, err := r.LookupTXT(ctx, rep.name); err == nil {
			for _, s := range txt.Joined() {
				if probe.DKIMRecordMatches(s, key.Public()) {
					add(probe.SevInfo, "weak-record", s, "RFC 8301 3.2", "the record at %s publishes the public half of %s (%s), which is too short for receivers to accept: once relaylab dkim keygen has made a 2048-bit key, publish its record here in place of this one", rep.name, k.file, rep.kind)
				}
			}
		}
	} else {
		judgeDKIMRecord(ctx, r, key, &rep, add)
	}
	rep.status = probe.StatusOK
	for _, f := range rep.findings {
		switch {
		case f.Severity == probe.SevError:
			rep.status = probe.StatusError
		case f.Code == "dkim.dns-error" && rep.status != probe.StatusError:
			rep.status = probe.StatusUnknown
		case f.Severity == probe.SevWarning && rep.status == probe.StatusOK:
			rep.status = probe.StatusWarning
		}
	}
	return rep
}

// judgeDKIMRecord looks up rep's record and adds what is wrong with it
// for key; it clears rep.publish when the record is in order.
func judgeDKIMRecord(ctx context.Context, r resolver.Resolver, key crypto.Signer, rep *dkimKeyReport, add func(sev probe.Severity, code, record, rfc, format string, args ...any)) {
	k := rep.key
	txt, err := r.LookupTXT(ctx, rep.name)
	switch {
	case errors.Is(err, resolver.ErrNXDomain):
		add(probe.SevError, "missing", "", "RFC 6376 6.1.2", "there is no %s (NXDOMAIN): %s, %s; %s", rep.name, noKey, noDMARC, publishFix)
		return
	case err != nil:
		add(probe.SevWarning, "dns-error", "", "", "the lookup of %s failed (%v): whether receivers find the key is not known; check the resolver and try again", rep.name, err)
		rep.publish = ""
		return
	}
	var recs []string
	for _, s := range txt.Joined() {
		if strings.Contains(s, "p=") || strings.Contains(s, "v=DKIM1") {
			recs = append(recs, s)
		}
	}
	switch {
	case len(txt.Records) == 0:
		add(probe.SevError, "missing", "", "RFC 6376 6.1.2", "%s exists but has no TXT record: %s, %s; %s", rep.name, noKey, noDMARC, publishFix)
		return
	case len(recs) == 0:
		add(probe.SevError, "missing", strings.Join(txt.Joined(), " | "), "RFC 6376 6.1.2", "%s has TXT records, but none is a DKIM key record (none has p= or v=DKIM1): %s, %s; %s", rep.name, noKey, noDMARC, publishFix)
		return
	case len(recs) > 1:
		add(probe.SevError, "multiple", strings.Join(recs, " | "), "RFC 6376 3.6.2.2", "%s has %d key records, and a receiver may pick any of them (or none): the relay's signatures fail wherever it picks another than its key's; keep only the record below", rep.name, len(recs))
		return
	}
	rec := recs[0]
	parsed, err := probe.ParseDKIMKey(rec)
	if err != nil {
		add(probe.SevError, "syntax", rec, "RFC 6376 3.6.1", "the record at %s does not parse (%v): %s, %s; %s instead", rep.name, err, probe.IgnoredKey("key syntax error"), noDMARC, publishFix)
		return
	}
	before := len(rep.findings)
	// The watchlist judges the records of the keys serve signs with alike.
	if f, bad := probe.SigningRecordFault(rep.name, rec, parsed, k.signingKey(key), publishFix); bad {
		rep.findings = append(rep.findings, f)
	}
	if len(parsed.Hashes) > 0 && !slices.Contains(parsed.Hashes, "sha256") {
		// go-msgauth signs rsa-sha256 and ed25519-sha256.
		add(probe.SevError, "hash", rec, "RFC 6376 3.6.1", "the record at %s allows only h=%s, and the relay signs with sha256: %s, %s; remove h= or %s",
			rep.name, strings.Join(parsed.Hashes, ":"), probe.IgnoredKey("inappropriate hash algorithm"), noDMARC, publishFix)
	}
	if len(parsed.Services) > 0 && !slices.Contains(parsed.Services, "email") && !slices.Contains(parsed.Services, "*") {
		add(probe.SevError, "service", rec, "RFC 6376 3.6.1", "the record at %s has s=%s, which names neither email nor *: receivers ignore the key for mail and fail the relay's signatures, %s; remove s= or %s",
			rep.name, strings.Join(parsed.Services, ":"), noDMARC, publishFix)
	}
	if slices.Contains(parsed.Flags, "y") {
		add(probe.SevWarning, "testing", rec, "RFC 6376 3.6.1", "the record at %s has t=y (testing): receivers must treat the relay's mail as they treat unsigned mail (RFC 6376 3.6.1), so a signature that verifies may count for nothing; once signing works, %s (without t=y)",
			rep.name, publishFix)
	}
	if len(rep.findings) == before {
		rep.publish = ""
		add(probe.SevInfo, "match", rec, "RFC 6376 3.6.1", "the record at %s publishes the public half of %s (%s): receivers can verify the relay's signatures for %s", rep.name, k.file, rep.kind, k.domain)
	}
}

// readDKIMKey reads a private key file as the relay does, whatever its
// size (the size is judged apart).
func readDKIMKey(file string) (crypto.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("the key file cannot be read: %v", err)
	}
	key, err := relay.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s is not a private key the relay can sign with: %v", file, err)
	}
	return key, nil
}

// keyType is key's k= value: rsa or ed25519.
func keyType(key crypto.Signer) string {
	if _, ok := key.(ed25519.PrivateKey); ok {
		return "ed25519"
	}
	return "rsa"
}

// keyKind is key's type and, for RSA, size, for people.
func keyKind(key crypto.Signer) string {
	if rk, ok := key.(*rsa.PrivateKey); ok {
		return fmt.Sprintf("rsa, %d bits", rk.N.BitLen())
	}
	return keyType(key)
}

// writeDKIMReports writes dkim check's report: per key, its status and
// findings as relaylab probe writes them, and the record to publish.
func writeDKIMReports(w io.Writer, reps []dkimKeyReport, servers []string) error {
	worst := probe.StatusOK
	rank := map[probe.Status]int{probe.StatusOK: 0, probe.StatusWarning: 1, probe.StatusUnknown: 2, probe.StatusError: 3}
	for _, rep := range reps {
		if rank[rep.status] > rank[worst] {
			worst = rep.status
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "relaylab dkim check: %s\n  via %s\n", strings.ToUpper(string(worst)), strings.Join(servers, ", "))
	for _, rep := range reps {
		kind := ""
		if rep.kind != "" {
			kind = ", " + rep.kind
		}
		fmt.Fprintf(&b, "\n%s (%s: %s%s)  %s\n", rep.name, rep.key.source, rep.key.file, kind, rep.status)
		order := map[probe.Severity]int{probe.SevError: 0, probe.SevWarning: 1, probe.SevInfo: 2}
		fs := slices.Clone(rep.findings)
		slices.SortStableFunc(fs, func(a, b probe.Finding) int { return order[a.Severity] - order[b.Severity] })
		for _, f := range fs {
			fmt.Fprintf(&b, "  %-7s %s\n", f.Severity, dnsText(f.Message))
			src := []string{}
			if f.RFC != "" {
				src = append(src, f.RFC)
			}
			fmt.Fprintf(&b, "          (%s)\n", strings.Join(append(src, f.Code), "; "))
			if f.Record != "" {
				fmt.Fprintf(&b, "          record: %s\n", dnsText(f.Record))
			}
		}
		if rep.publish != "" {
			fmt.Fprintf(&b, "  publish %s\n", rep.publish)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dnsText is text that may hold what the DNS gave, on one line: line
// breaks and tabs shown as \n and \t, other control characters escaped.
func dnsText(s string) string {
	return textsafe.Escape(strings.NewReplacer("\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s))
}
