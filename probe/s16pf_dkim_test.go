package probe

import (
	"context"
	"strings"
	"testing"
)

// TestDKIMRevokedNamedSelector: a revoked key (empty p=) under a selector
// the user named is an error with what to do, as a missing one is: they
// expect it to sign. Under a guessed common selector it stays a fact, and
// under a selector listed for every watched domain a warning. In the
// watchlist the advice names its keys, not relaylab probe's flags.
func TestDKIMRevokedNamedSelector(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, writeZone(t, "rev.zone", `$ORIGIN rev.test.
@ 300 IN SOA ns.rev.test. h.rev.test. 1 3600 600 86400 300
s2026._domainkey 300 IN TXT "v=DKIM1; p="
default._domainkey 300 IN TXT "v=DKIM1; p="
`))
	ctx := context.Background()
	sevOf := func(fs []Finding, sel string) (Severity, string) {
		for _, f := range fs {
			if f.Code == "dkim.revoked" && strings.HasPrefix(f.Name, sel+".") {
				return f.Severity, f.Message
			}
		}
		return "", ""
	}
	rep := CheckDKIM(ctx, r, discard(), "rev.test", []string{"s2026"})
	if sev, msg := sevOf(rep.Findings, "s2026"); sev != SevError || !strings.Contains(msg, "named with --selector") || !strings.Contains(msg, "publish its current public key") {
		t.Errorf("named revoked selector: %s %q, want an error with advice", sev, msg)
	}
	if sev, _ := sevOf(rep.Findings, "default"); sev != SevInfo {
		t.Errorf("guessed revoked selector: %s, want info", sev)
	}
	w := Run(ctx, Deps{Resolver: r}, Request{Domain: "rev.test", SharedSelectors: []string{"s2026"}, NoBlocklists: true, Watched: true})
	if sev, msg := sevOf(w.DKIM.Findings, "s2026"); sev != SevWarning || !strings.Contains(msg, "probe.selectors") || strings.Contains(msg, "--selector") {
		t.Errorf("watchlist-wide revoked selector: %s %q, want a warning naming probe.selectors", sev, msg)
	}
	w = Run(ctx, Deps{Resolver: r}, Request{Domain: "rev.test", Selectors: []string{"s2026"}, NoBlocklists: true, Watched: true})
	if sev, msg := sevOf(w.DKIM.Findings, "s2026"); sev != SevError || !strings.Contains(msg, "named in the watchlist") {
		t.Errorf("watched domain's own revoked selector: %s %q, want an error", sev, msg)
	}
}

// TestDKIMNoneFoundInTheWatchlist: the advice of dkim.none-found names the
// watchlist's keys when the monitor checks, --selector on the command line.
func TestDKIMNoneFoundInTheWatchlist(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, writeZone(t, "nokey.zone", `$ORIGIN nokey.test.
@ 300 IN SOA ns.nokey.test. h.nokey.test. 1 3600 600 86400 300
`))
	ctx := context.Background()
	w := Run(ctx, Deps{Resolver: r}, Request{Domain: "nokey.test", NoBlocklists: true, Watched: true})
	msgs, ok := findingWith(w.DKIM.Findings, "dkim.none-found", "domains: [{name: nokey.test, selectors: [S]}]")
	if !ok || strings.Contains(strings.Join(msgs, " "), "--selector") {
		t.Errorf("watchlist dkim.none-found %q: want the config keys, not --selector", msgs)
	}
	c := Run(ctx, Deps{Resolver: r}, Request{Domain: "nokey.test", NoBlocklists: true})
	if _, ok := findingWith(c.DKIM.Findings, "dkim.none-found", "--selector"); !ok {
		t.Errorf("command-line dkim.none-found lost --selector: %+v", c.DKIM.Findings)
	}
}
