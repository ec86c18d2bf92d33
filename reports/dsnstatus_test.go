package reports

import (
	"testing"
	"time"
)

// TestDSNStatusWholeParts: dsn_status matches the DSN's status by whole
// parts, so that "5.1.1" (no such mailbox) fails on 5.1.10 (a null MX,
// RFC 7505), which it passed as a string prefix, while "5.", "5" and
// "5.1" still take any status below them.
func TestDSNStatusWholeParts(t *testing.T) {
	t.Parallel()
	d := &Data{Recipients: []*Recipient{{Address: "a@x.test", Status: "bounced", DSN: true, DSNStatus: "5.1.10", Queued: t0,
		Attempts: []Attempt{{Time: t0.Add(time.Second), Code: 556, Enhanced: "5.1.10", Text: "null MX"}}}}}
	for _, tc := range []struct {
		want string
		pass bool
	}{{"5.1.10", true}, {"5.1", true}, {"5.1.", true}, {"5.", true}, {"5", true}, {"5.1.1", false}, {"5.1.100", false}, {"4.", false}} {
		x, err := decodeExp(t, "recipients:\n  - {match: \"*\", dsn_status: \""+tc.want+"\"}\n")
		if err != nil {
			t.Fatal(err)
		}
		if r := Evaluate(d, x); r[0].Pass != tc.pass {
			t.Errorf("dsn_status %q on a DSN with 5.1.10: pass %v, want %v (%s)", tc.want, r[0].Pass, tc.pass, r[0].Message)
		}
	}
}

