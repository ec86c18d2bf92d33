package reports

import (
	"strings"
	"testing"
)

// TestEmptyValuesRefused: a key written out with an empty value ("",
// nothing after the colon, or []) is refused at its file, line and key,
// as an empty last_reply glob is, instead of being read as the key left
// out: path: "" passed whatever path a recipient took.
func TestEmptyValuesRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"recipients:\n  - match: x\n    path: \"\"\n", `exp.yaml:3:11: recipients[0].path: an empty value reads as the key left out and checks nothing: give the name of a relay path`},
		{"recipients:\n  - {match: x, path: ''}\n", `recipients[0].path: an empty value`},
		{"recipients:\n  - match: x\n    path:\n", `exp.yaml:3:`},
		{"recipients:\n  - match: x\n    path: ~\n", `recipients[0].path: an empty value`},
		{"recipients:\n  - match: x\n    message: \"\"\n", `exp.yaml:3:14: recipients[0].message: an empty value`},
		{"recipients:\n  - match: x\n    status: \"\"\n", `exp.yaml:3:13: recipients[0].status: an empty value reads as the key left out and checks nothing: give delivered, bounced`},
		{"recipients:\n  - match: x\n    category: \"\"\n", `recipients[0].category: an empty value`},
		{"recipients:\n  - match: x\n    dsn: \"\"\n", `recipients[0].dsn: an empty value reads as the key left out and checks nothing: give sent or none`},
		{"recipients:\n  - match: x\n    dsn_status: \"\"\n", `recipients[0].dsn_status: an empty value`},
		{"recipients:\n  - match: x\n    last_code: \"\"\n", `recipients[0].last_code: an empty value`},
		{"recipients:\n  - match: x\n    name: \"\"\n", `recipients[0].name: an empty value`},
		{"recipients:\n  - match: x\n    last_reply:\n", `recipients[0].last_reply: an empty value`},
		{"recipients:\n  - match: x\n    tls:\n", `recipients[0].tls: an empty value`},
		{"recipients:\n  - match: x\n    suppressed:\n", `recipients[0].suppressed: an empty value`},
		{"recipients:\n  - match: x\n    attempts:\n", `recipients[0].attempts: an empty value`},
		{"recipients:\n  - match: x\n    attempt_times: []\n", `recipients[0].attempt_times: an empty value`},
		{"recipients:\n  - match: x\n  - match: y\n    path: \"\"\n", `exp.yaml:4:11: recipients[1].path:`},
		{"aggregate:\n  delivered_share:\n", `aggregate.delivered_share: an empty value`},
		{"aggregate:\n  max_deliveries_per_day: []\n", `aggregate.max_deliveries_per_day: an empty value`},
		{"recipients:\n  - match: \"\"\n", `recipients[0].match: every recipient expectation needs a match pattern`},
	} {
		_, err := decodeExp(t, tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// Values that say something still decode, and unknown keys are still
	// refused at their line.
	x, err := decodeExp(t, "recipients:\n  - {match: x, path: mx, status: delivered, message: \"msg-*\", attempt_times: [0s]}\naggregate: {delivered_share: 0.5}\n")
	if err != nil || x.Recipients[0].Path != "mx" || x.Recipients[0].Message != "msg-*" || x.Aggregate.DeliveredShare == nil {
		t.Errorf("plain values: %+v, %v", x, err)
	}
	if _, err := decodeExp(t, "recipients:\n  - match: x\n    pth: mx\n"); err == nil || !strings.Contains(err.Error(), "exp.yaml:3:") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := decodeExp(t, "aggregate:\n  max_concurrent_per_destination: 1.5\n"); err == nil || !strings.Contains(err.Error(), "want a whole number") {
		t.Errorf("fraction: %v", err)
	}
}
