package main

import (
	"context"
	"strings"
	"testing"
)

// TestS24ProbeResolverByName: --resolver refuses a DNS server named by
// its host name, which would need the system's resolver to be found (the
// one --resolver is given to avoid), as probe.resolvers does, naming
// what to give instead; it took localhost:53 and asked through it.
func TestS24ProbeResolverByName(t *testing.T) {
	t.Parallel()
	code, out, errOut := runIn(t, context.Background(), "probe", "example.test", "--resolver", "localhost:53", "--no-blocklists")
	if code != 2 || !strings.Contains(errOut, `names the DNS server by its host name "localhost"`) || !strings.Contains(errOut, "127.0.0.1:53") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}
