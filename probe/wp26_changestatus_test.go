package probe

import (
	"context"
	"encoding/json"
	"testing"
)

// TestWP26ChangeSaysCheckStatus: a change names the check it is about and
// that check's status at the run that confirmed it, in what it returns,
// in what the webhook and the API read back (ChangeHistory) and in its
// event's payload, so that a pager or chat bridge can page on "error"
// and close on "ok" without a table of every key and kind. Before, a
// record-changed said nothing of whether the domain got better or worse.
func TestWP26ChangeSaysCheckStatus(t *testing.T) {
	t.Parallel()
	run, set, remove, m := changesMonitor(t)
	run()
	wp26DMARC(set, remove, "v=DMARC1 p=quarantine")
	broke := changeOf(run(), "domain chg.test dmarc")
	wp26DMARC(set, remove, "v=DMARC1; p=reject")
	mended := changeOf(run(), "domain chg.test dmarc")
	for _, tt := range []struct {
		name string
		c    *Change
		want Status
	}{{"broken", broke, StatusError}, {"mended", mended, StatusOK}} {
		if tt.c == nil {
			t.Fatalf("%s: no change of the DMARC record", tt.name)
		}
		if tt.c.Check != "dmarc" || tt.c.Status != tt.want {
			t.Errorf("%s: check %q status %q, want dmarc %s", tt.name, tt.c.Check, tt.c.Status, tt.want)
		}
		body, _ := json.Marshal(tt.c)
		var fields map[string]any
		if err := json.Unmarshal(body, &fields); err != nil || fields["check"] != "dmarc" || fields["status"] != string(tt.want) {
			t.Errorf("%s: JSON %s, want \"check\":\"dmarc\",\"status\":%q", tt.name, body, tt.want)
		}
	}
	stored, err := ChangeHistory(context.Background(), m.st.DB(), "chg.test", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := changeOf(stored, "domain chg.test dmarc"); got == nil || got.Check != "dmarc" || got.Status != StatusOK {
		t.Errorf("stored change read back %+v, want check dmarc, status ok (the newest)", got)
	}

	for key, want := range map[string]string{
		"listing 192.0.2.1 zen.spamhaus.org":  "blocklist",
		"ip 192.0.2.1 ptr":                    "ptr",
		"domain example.com spf-result":       "spf",
		"domain example.com dkim s2026":       "dkim",
		"domain example.com mta-sts":          "mta-sts",
		"domain example.com mta-sts-result":   "mta-sts",
		"domain example.com dns":              "",
		"something a later version may write": "",
	} {
		if got := checkOfKey(key); got != want {
			t.Errorf("checkOfKey(%q) = %q, want %q", key, got, want)
		}
	}
}
