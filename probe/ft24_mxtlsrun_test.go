package probe

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// TestFT24RunMXTLS: Run checks each MX host's TLS when Deps.MXTLS asks
// for it, after mta-sts in the report, judged with the MTA-STS policy it
// fetched: a host that the enforced policy covers and that offers no
// STARTTLS is an error naming the mode. Without Deps.MXTLS (the
// monitor's default) the check is left out and nothing is dialled.
func TestFT24RunMXTLS(t *testing.T) {
	t.Parallel()
	r, _ := servedWorld(t, []string{
		"tls24.test. 60 IN SOA ns.tls24.test. hm.tls24.test. 1 60 60 60 30",
		"tls24.test. 60 IN MX 10 mx1.tls24.test.",
		"tls24.test. 60 IN MX 20 mx2.tls24.test.",
		"mx1.tls24.test. 60 IN A 127.0.0.2",
		"mx2.tls24.test. 60 IN A 127.0.0.3",
		`_mta-sts.tls24.test. 60 IN TXT "v=STSv1; id=1"`,
	})
	ps := newPolicyServer(t)
	ps.set("mta-sts.tls24.test", "version: STSv1\nmode: enforce\nmx: *.tls24.test\nmax_age: 604800\n")
	ca := newFT24CA(t)
	good, _ := ft24SMTP(t, &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, []string{"mx1.tls24.test"}, -time.Hour, 60*24*time.Hour, false)}})
	plain, _ := ft24SMTP(t, nil)
	o := ft24Opts(t, ca, map[string]string{"127.0.0.2:25": good, "127.0.0.3:25": plain})
	deps := Deps{Resolver: r, HTTPClient: ps.client(), Clock: clock.NewVirtual(ft24Now), MXTLS: &o}
	rep := Run(context.Background(), deps, Request{Domain: "tls24.test", NoBlocklists: true})

	var order []string
	for _, c := range rep.Checks {
		order = append(order, c.Check)
	}
	if got := strings.Join(order, " "); !strings.Contains(got, "mta-sts mx-tls tls-rpt") {
		t.Errorf("checks in the order %s, want mx-tls after mta-sts", got)
	}
	if rep.MXTLS == nil || rep.MXTLS.Status != StatusError || !rep.HasErrors() {
		t.Fatalf("mx_tls %+v, want status error", rep.MXTLS)
	}
	var no, ok *Finding
	for i, f := range rep.MXTLS.Findings {
		switch f.Code {
		case "mx-tls.no-starttls":
			no = &rep.MXTLS.Findings[i]
		case "mx-tls.ok":
			ok = &rep.MXTLS.Findings[i]
		}
	}
	if no == nil || no.Severity != SevError || no.Name != "mx2.tls24.test" || no.RFC != "RFC 8461 5" ||
		!strings.Contains(no.Message, "the MTA-STS policy of tls24.test is in mode enforce and covers mx2.tls24.test (mx: *.tls24.test), so senders that apply it refuse to deliver to mx2.tls24.test") {
		t.Errorf("no-starttls finding %+v", no)
	}
	if ok == nil || ok.Name != "mx1.tls24.test" {
		t.Errorf("no mx-tls.ok for mx1: %+v", rep.MXTLS.Findings)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		MXTLS struct {
			Port  int `json:"port"`
			Hosts []struct {
				Host     string `json:"host"`
				STARTTLS bool   `json:"starttls"`
				Status   string `json:"status"`
			} `json:"hosts"`
		} `json:"mx_tls"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if h := back.MXTLS.Hosts; back.MXTLS.Port != 25 || len(h) != 2 || h[0].Host != "mx1.tls24.test" || !h[0].STARTTLS || h[0].Status != "ok" || h[1].STARTTLS || h[1].Status != "error" {
		t.Errorf("mx_tls in JSON: %+v", back.MXTLS)
	}

	deps.MXTLS = nil
	rep = Run(context.Background(), deps, Request{Domain: "tls24.test", NoBlocklists: true})
	if rep.MXTLS != nil {
		t.Errorf("Run without Deps.MXTLS checked mx-tls: %+v", rep.MXTLS)
	}
	for _, c := range rep.Checks {
		if c.Check == "mx-tls" {
			t.Errorf("Run without Deps.MXTLS lists the mx-tls check")
		}
	}
	if d := o.Dialer.(*mapDialer); len(d.asked) != 2 {
		t.Errorf("dialled %q, want each MX host once, in the first run only", d.asked)
	}
}
