package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestProbeChangesAPI: /api/v1/probe/changes serves the changes of a
// target (of every target without one), newest first, and says so when
// the probes keep none, instead of a 404 or an empty list.
func TestProbeChangesAPI(t *testing.T) {
	t.Parallel()
	p, changes := probeChangesFixture(t)
	s := startServer(t, Options{Probe: p})
	code, _, body := do(t, "GET", s.url+"/api/v1/probe/changes?target=shop.test&limit=5", "")
	if code != http.StatusOK {
		t.Fatalf("changes: %d %s", code, body)
	}
	var got struct {
		Changes []ProbeChange `json:"changes"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Changes) != len(changes) || got.Changes[0].Kind != "key-rotated" || got.Changes[1].Old != changes[1].Old {
		t.Errorf("changes %+v, want %+v", got.Changes, changes)
	}
	if code, _, body := do(t, "GET", s.url+"/api/v1/probe/changes?target=other.test", ""); code != http.StatusOK || !strings.Contains(string(body), `"changes":[]`) {
		t.Errorf("a target with no changes: %d %s, want 200 and an empty list", code, body)
	}
	if code, _, _ := do(t, "GET", s.url+"/api/v1/probe/changes?limit=x", ""); code != http.StatusBadRequest {
		t.Errorf("limit=x: %d, want 400", code)
	}
	plain := startServer(t, Options{Probe: &fakeProbe{}})
	if code, _, body := do(t, "GET", plain.url+"/api/v1/probe/changes", ""); code != http.StatusNotImplemented || !strings.Contains(string(body), "probe.changed") {
		t.Errorf("probes without a change history: %d %s, want 501 pointing at the probe.changed events", code, body)
	}
}

// TestOpenAPIProbeFieldsDescribed: every field of the probe API's JSON is
// in openapi.yaml, with a description, and nothing is documented that the
// API does not send.
func TestOpenAPIProbeFieldsDescribed(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{"ProbeResult": ProbeResult{}, "ProbeChange": ProbeChange{}, "ProbeListing": ProbeListing{}, "ProbeFinding": ProbeFinding{}} {
		props, ok := specProperties(t, name)
		if !ok {
			t.Errorf("openapi.yaml has no schema %s", name)
			continue
		}
		sent := jsonFields(v)
		for field := range sent {
			desc, ok := props[field]
			switch {
			case !ok:
				t.Errorf("%s.%s is sent but not in openapi.yaml", name, field)
			case strings.TrimSpace(desc) == "":
				t.Errorf("%s.%s has no description in openapi.yaml", name, field)
			}
		}
		for field := range props {
			if _, ok := sent[field]; !ok {
				t.Errorf("openapi.yaml documents %s.%s, which is not sent", name, field)
			}
		}
	}
}

// changesProbe is a fakeProbe that keeps the changes its runs confirmed.
type changesProbe struct {
	*fakeProbe
	changes []ProbeChange // newest first
}

var _ ProbeChangesAPI = (*changesProbe)(nil)

func (p *changesProbe) Changes(ctx context.Context, f ProbeFilter) ([]ProbeChange, error) {
	var out []ProbeChange
	for _, c := range p.changes {
		if (f.Target == "" || c.Target == f.Target) && (f.Limit <= 0 || len(out) < f.Limit) {
			out = append(out, c)
		}
	}
	return out, nil
}

// A DKIM public key as a TXT record holds it: one token of 400 characters.
var longKey = "v=DKIM1; k=rsa; p=" + strings.Repeat("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKC", 10)

// probeChangesFixture is a watched domain whose last run confirmed an SPF
// change and a DKIM key rotation, and a watched IP no blocklist lists.
func probeChangesFixture(t *testing.T) (*changesProbe, []ProbeChange) {
	t.Helper()
	at := time.Date(2026, 3, 1, 22, 10, 12, 0, time.UTC)
	changes := []ProbeChange{
		{ID: 2, Time: at, Target: "shop.test", Kind: "key-rotated", Key: "domain shop.test dkim s1", Old: longKey, New: strings.Replace(longKey, "MIIB", "NEWK", 1)},
		{ID: 1, Time: at, Target: "shop.test", Kind: "record-changed", Key: "domain shop.test spf", Old: "v=spf1 -all <img src=x onerror=alert(1)>", New: "v=spf1 ip4:127.0.0.0/8 -all",
			Note: "one SPF record again, where there were two"},
	}
	p := &changesProbe{fakeProbe: &fakeProbe{}, changes: changes}
	p.add(ProbeResult{Target: "shop.test", Check: "spf, dkim, dmarc, mx", Status: "ok", Detail: "0 errors, 0 warnings", Time: at.Add(-time.Hour)})
	p.add(ProbeResult{Target: "shop.test", Check: "spf, dkim, dmarc, mx", Status: "ok", Detail: "0 errors, 0 warnings", Time: at,
		Changed: true, Changes: []ProbeChange{changes[1], changes[0]}})
	p.add(ProbeResult{Target: "127.100.200.250", Check: "blocklist, ptr", Status: "ok", Detail: "0 errors, 0 warnings", Time: at,
		Findings:   []ProbeFinding{{Check: "ptr", Severity: "info", Code: "ptr.match", Message: "127.100.200.250 has the PTR mail.shop.test, which resolves back to it", Name: "250.200.100.127.in-addr.arpa"}},
		Blocklists: []ProbeListing{{Zone: "zen.bl.test", Subject: "127.100.200.250", Status: "not-listed"}}})
	p.results = p.results[1:] // the list has the latest result of each target
	return p, changes
}
