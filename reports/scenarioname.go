package reports

import (
	"fmt"
	"regexp"
	"strconv"
)

// ScenarioMessageID is the Message-ID (without angle brackets) that a
// replay gives the seq-th message of its scenario, submitted at nanos
// (Unix nanoseconds of the virtual clock): it carries the name the
// replay's verdicts give the message, "msg-3", so that a report on the
// replay's store (replay --db) can name it alike (see Load).
func ScenarioMessageID(seq int, nanos int64) string {
	return fmt.Sprintf("scenario.msg-%d.%d@relaylab.test", seq, nanos)
}

var scenarioMessageRE = regexp.MustCompile(`^scenario\.msg-([0-9]+)\.[0-9]+@relaylab\.test$`)

// scenarioName is the scenario's name of the message whose Message-ID is
// mid ("msg-3") and its number (3), when a replay gave it that
// Message-ID; "" and 0 otherwise.
func scenarioName(mid string) (string, int) {
	m := scenarioMessageRE.FindStringSubmatch(mid)
	if m == nil {
		return "", 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return "", 0
	}
	return "msg-" + m[1], n
}
