package reports

import (
	"strings"
	"testing"
)

// TestS18EveryBadValue: an expect section's values that fail as the file
// is read are each named at their line and key in one reading, with the
// problems the later checks find, where the first of them hid every
// other; an expectation with a bad value is not refused again for the
// key left out (an empty value), and a section whose only values are bad
// is not taken for one without expectations.
func TestS18EveryBadValue(t *testing.T) {
	t.Parallel()
	_, err := decodeExp(t, `recipients:
  - {match: a@x.test, last_reply: ""}
  - {match: b@x.test, tls: yes, status: bogus}
  - {match: c@x.test, count: 1.5}
  - {match: d@x.test, status: bogus}
  - {match: e@x.test, attempt_times: [0s, 5q], tolerance: 1s}
aggregate: {delivered_share: high, no_attempt_after_5xx: perhaps}
`)
	want := strings.Join([]string{
		`exp.yaml:2:35: recipients[0].last_reply: an empty glob matches no reply: give one such as "421 4.7.28 *", or leave the key out`,
		`exp.yaml:3:28: recipients[1].tls: "yes": want true or false`,
		`exp.yaml:3:41: recipients[1].status: "bogus" is not a status: want delivered, bounced, expired, suppressed, deferred or queued`,
		`exp.yaml:4:30: recipients[2].count: bad range "1.5": want N, N-M, N- (N or more), >=N or <=N`,
		`exp.yaml:5:31: recipients[3].status: "bogus" is not a status: want delivered, bounced, expired, suppressed, deferred or queued`,
		`exp.yaml:6:43: recipients[4].attempt_times[1]: bad duration "5q": want a duration like 30s, 5m, 1h30m or 5d`,
		`exp.yaml:7:30: aggregate.delivered_share: "high" is not a share: write 1 for all, or 0.95 (or "95%") for 95%`,
		`exp.yaml:7:58: aggregate.no_attempt_after_5xx: want true or false, got "perhaps"`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	x, err := decodeExp(t, "aggregate: {delivered_share: high}\n")
	if x.Empty() || err == nil || err.Error() != `exp.yaml:1:30: aggregate.delivered_share: "high" is not a share: write 1 for all, or 0.95 (or "95%") for 95%` {
		t.Errorf("only a bad value: empty %v, error %v", x.Empty(), err)
	}
}
