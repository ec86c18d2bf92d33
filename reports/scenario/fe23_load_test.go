package scenario

import (
	"strings"
	"testing"
)

// TestFE23ExpectationProblemsInOneRun: the problems of one expectation,
// a status that is a slip and values that do not decode, come in one
// run, in the order of their columns; status came on the next run.
func TestFE23ExpectationProblemsInOneRun(t *testing.T) {
	t.Parallel()
	data := `name: m4
messages:
  - {from: a@shop.test, to: ["defer2+rest@example.test"]}
expect:
  recipients:
    - {match: "defer2+rest@example.test", status: delivred, attempts: three, min_interval: 5 min}
`
	_, err := Parse("m4.yaml", []byte(data))
	want := strings.Join([]string{
		`m4.yaml:6:51: expect.recipients[0].status: "delivred" is not a status (did you mean "delivered"?): want delivered, bounced, expired, suppressed, deferred or queued`,
		`m4.yaml:6:71: expect.recipients[0].attempts: bad range "three": want N, N-M, N- (N or more), >=N or <=N`,
		`m4.yaml:6:92: expect.recipients[0].min_interval: bad duration "5 min": want a duration like 30s, 5m, 1h30m or 5d`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// TestFE23MessageListsAndSlips: a to item of several addresses is told
// to be one address per item, as send tells --to, not given RFC 5321's
// words on local parts; from the same; ret and notify name the value a
// slip was meant as.
func TestFE23MessageListsAndSlips(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]string{
		`{from: a@shop.test, to: ["b@x.test,c@x.test"]}`:           `messages[0].to[0]: "b@x.test,c@x.test": not one address but a list: one address per item: write to: ["b@x.test", "c@x.test"]`,
		`{from: "a@shop.test, b@shop.test", to: ["b@x.test"]}`:     `messages[0].from: "a@shop.test, b@shop.test": not one address but a list: a message has one sender; give one address`,
		`{from: a@shop.test, to: ["b@x.test"], ret: HDR}`:          `messages[0].ret: "HDR" (did you mean "HDRS"?): want FULL or HDRS`,
		`{from: a@shop.test, to: ["b@x.test"], notify: [failure]}`: `messages[0].notify: "failure" (did you mean "FAILURE"?): want NEVER`,
		`{from: a@shop.test, to: ["\"b,c@d\"@x.test"]}`:            ``,
	} {
		_, err := Parse("s.yaml", []byte("name: s\nmessages:\n  - "+msg+"\n"))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: error %v\nwant %q", msg, err, want)
		}
	}
}
