package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os/exec"
	"testing"

	"github.com/relaylab/relaylab/internal/testutil"
)

// pyspfScript evaluates SPF with python3-spf (pyspf), pointed at our
// loopback DNS server through dnspython's default resolver. It reads
// [{"domain":..., "ip":...}] and writes the results in the same order.
const pyspfScript = `
import json, sys
import dns.resolver
import spf
host, port = sys.argv[1], int(sys.argv[2])
r = dns.resolver.Resolver(configure=False)
r.nameservers = [host]
r.port = port
r.timeout = r.lifetime = 5
dns.resolver.default_resolver = r
out = []
for c in json.load(sys.stdin):
    res, expl = spf.check2(i=c["ip"], s="postmaster@" + c["domain"], h="mta.example")
    out.append({"result": res, "explanation": expl})
json.dump(out, sys.stdout)
`

// python3SPF returns a python3 that can import spf and dnspython.
func python3SPF(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import spf, dns.resolver").Run() == nil {
			return path
		}
	}
	msg := "python3 with the spf module (Debian package python3-spf) is not installed"
	if testutil.InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestSPFAgainstPyspf checks our SPF evaluation (blitiri spf through our
// resolver) against python3-spf, an implementation no one here wrote, on
// the records of testdata/dns/spf.zone served on loopback.
func TestSPFAgainstPyspf(t *testing.T) {
	t.Parallel()
	py := python3SPF(t)
	r, srv := testResolver(t, "../testdata/dns/spf.zone")
	type pycase struct {
		Domain string `json:"domain"`
		IP     string `json:"ip"`
	}
	in := make([]pycase, len(spfCases))
	for i, c := range spfCases {
		in[i] = pycase{c.domain, c.ip}
	}
	body, _ := json.Marshal(in)
	host, port, _ := net.SplitHostPort(srv.Addr)
	cmd := exec.Command(py, "-c", pyspfScript, host, port)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	before := srv.Queries()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-spf: %v\n%s", err, stderr.String())
	}
	if asked := srv.Queries() - before; asked < int64(len(spfCases)) {
		t.Fatalf("python3-spf asked our server only %d queries for %d cases: is it using another resolver?", asked, len(spfCases))
	}
	var got []struct {
		Result      string `json:"result"`
		Explanation string `json:"explanation"`
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(spfCases) {
		t.Fatalf("python3-spf output %q: %v", out, err)
	}
	if len(spfCases) < 30 {
		t.Fatalf("only %d cases; the comparison needs at least 30", len(spfCases))
	}
	for i, c := range spfCases {
		ours := EvalSPF(context.Background(), r, netip.MustParseAddr(c.ip), "mta.example", "postmaster@"+c.domain)
		if string(ours.Result) != got[i].Result || got[i].Result != string(c.want) {
			t.Errorf("%s from %s: ours %s, python3-spf %s (%s), want %s", c.domain, c.ip, ours.Result, got[i].Result, got[i].Explanation, c.want)
		}
	}
}
