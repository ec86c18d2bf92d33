package probe

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestDKIMVersionNotFirstGivesTheRecord: a key record whose v=DKIM1 is
// not its first tag gets that record with v=DKIM1 moved first, not a
// template with a placeholder key. Before, the finding said "of the form
// \"v=DKIM1; k=rsa; p=<base64 public key>\"".
func TestDKIMVersionNotFirstGivesTheRecord(t *testing.T) {
	t.Parallel()
	_, rec := edRecord(t)
	p := rec[strings.Index(rec, "p="):]
	_, err := ParseDKIMKey("k=ed25519; v=DKIM1; " + p)
	var fix *dkimFixError
	want := "v=DKIM1; k=ed25519; " + p
	if !errors.As(err, &fix) || fix.Fixed != want || !strings.Contains(err.Error(), "v= must be the first tag") || !strings.Contains(err.Error(), `"`+want+`"`) {
		t.Errorf("error %v: want one that offers %q", err, want)
	}
	// Another version is not moved: it is no DKIM1 record.
	if _, err := ParseDKIMKey("k=ed25519; v=DKIM2; " + p); errors.As(err, &fix) {
		t.Errorf("v=DKIM2 not first: offered %q", fix.Fixed)
	}
}

// TestDKIMMissingNamesDKIMCheck: a selector with no key says how to get
// the record of a key the relay signs with.
func TestDKIMMissingNamesDKIMCheck(t *testing.T) {
	t.Parallel()
	r, _ := espWorld(t, "v=spf1 -all", 0)
	rep := checkDKIM(context.Background(), r, discard(), "example.test", []string{"s9"}, nil, false)
	for _, f := range rep.Findings {
		if f.Code == "dkim.missing" {
			if !strings.Contains(f.Message, "relaylab dkim check --domain example.test --selector s9 --key") {
				t.Errorf("dkim.missing %q does not name relaylab dkim check", f.Message)
			}
			return
		}
	}
	t.Errorf("no dkim.missing in %+v", rep.Findings)
}
