package reports

import (
	"strings"
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

// TestImpossibleDSNAndSuppression: a dsn_status that is no enhanced
// status code, a dsn_status beside dsn: none, and suppressed: false beside
// status suppressed can never hold, and are refused at file, line and key
// instead of failing every recipient at run time.
func TestImpossibleDSNAndSuppression(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"recipients:\n  - match: x\n    dsn_status: \"550\"\n", `exp.yaml:3:17: recipients[0].dsn_status: "550" is not an enhanced status code`},
		{"recipients:\n  - {match: x, dsn_status: 5.1.1.}\n", `recipients[0].dsn_status: "5.1.1." is not an enhanced status code`},
		{"recipients:\n  - match: x\n    dsn: none\n    dsn_status: \"5.\"\n", `exp.yaml:4:17: recipients[0].dsn_status: asks for a DSN with status 5., but dsn is none: the expectation can never hold`},
		{"recipients:\n  - match: x\n    status: suppressed\n    suppressed: false\n", `exp.yaml:4:17: recipients[0].suppressed: false, but status suppressed`},
	} {
		_, err := decodeExp(t, tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	for _, y := range []string{
		"recipients:\n  - {match: x, dsn: sent, dsn_status: \"5.1.1\"}\n",
		"recipients:\n  - {match: x, dsn_status: \"4.4\"}\n",
		"recipients:\n  - {match: x, dsn_status: \"5.\"}\n",
		"recipients:\n  - {match: x, dsn_status: \"2\"}\n",
		"recipients:\n  - {match: x, dsn_status: 5.1.10}\n",
		"recipients:\n  - {match: x, status: suppressed, suppressed: true}\n",
		"recipients:\n  - {match: x, status: bounced, suppressed: false}\n",
	} {
		if _, err := decodeExp(t, y); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}

// TestAttemptTimesInOrder: attempt_times that put a try before the one
// it follows (beyond the tolerance either way) can never hold, and are
// refused at file, line and key.
func TestAttemptTimesInOrder(t *testing.T) {
	t.Parallel()
	_, err := decodeExp(t, "recipients:\n  - match: x\n    attempt_times: [0s, 30m, 6m]\n")
	if want := "exp.yaml:3:30: recipients[0].attempt_times[2]: 6m0s is before attempt 2's 30m0s, but attempts come in time order: the expectation can never hold"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	for _, y := range []string{
		"recipients:\n  - {match: x, attempt_times: [0s, 6m, 30m]}\n",
		"recipients:\n  - {match: x, attempt_times: [0s, 0s]}\n",
		"recipients:\n  - {match: x, attempt_times: [10s, 9s], tolerance: 1s}\n",
	} {
		if _, err := decodeExp(t, y); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}
