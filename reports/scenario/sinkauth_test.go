package scenario

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/reports"
)

// TestAttemptsShowTheSinksChecks: in a replay with sink.verify, each
// attempt that left a message with the sink shows the SPF, DKIM and DMARC
// results the sink found, in the timeline and in the JSON, so that a 550
// 5.7.26 says which check failed; they were nowhere in the replay's
// report.
func TestAttemptsShowTheSinksChecks(t *testing.T) {
	t.Parallel()
	sc, err := Load(filepath.Join(dir, "dmarc-reject.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := replay(t, sc)
	want := map[string]string{"reader@inbox.test": "spf=pass dkim=pass dmarc=pass (p=reject)", "customer@inbox.test": "spf=fail dkim=none dmarc=fail (p=reject)"}
	for _, r := range out.Data.Recipients {
		w, ok := want[r.Address]
		if !ok {
			continue
		}
		delete(want, r.Address)
		if len(r.Attempts) != 1 || r.Attempts[0].Auth.String() != w {
			t.Errorf("%s: attempts %+v, want one with the sink's results %q", r.Address, r.Attempts, w)
			continue
		}
		var tl strings.Builder
		reports.WriteTimeline(&tl, r)
		if !strings.Contains(tl.String(), "["+w+"]") {
			t.Errorf("%s: timeline lacks [%s]:\n%s", r.Address, w, tl.String())
		}
	}
	if len(want) > 0 {
		t.Errorf("recipients not found: %v", want)
	}
	var js bytes.Buffer
	if err := reports.WriteVerdictsJSON(&js, []reports.Verdict{reports.NewVerdict(sc.Name, "dmarc-reject.yaml", out.Data, out.Results)}); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Verdicts []struct {
			Recipients []struct {
				Address  string
				Attempts []struct {
					Auth map[string]string `json:"auth"`
				}
			}
		}
	}
	if err := json.Unmarshal(js.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range v.Verdicts[0].Recipients {
		if r.Address == "customer@inbox.test" {
			found = true
			if len(r.Attempts) != 1 || r.Attempts[0].Auth["dmarc"] != "fail" || r.Attempts[0].Auth["spf"] != "fail" || r.Attempts[0].Auth["dmarc_policy"] != "reject" {
				t.Errorf("customer@inbox.test's JSON attempts %+v, want auth with spf fail, dmarc fail, dmarc_policy reject", r.Attempts)
			}
		}
	}
	if !found {
		t.Error("customer@inbox.test not in the JSON")
	}
}
