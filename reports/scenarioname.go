package reports

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ScenarioMessageID is the Message-ID (without angle brackets) that a
// replay of the scenario named scenario gives its seq-th message,
// submitted at nanos (Unix nanoseconds of the virtual clock): it carries
// the name the replay's verdicts give the message, "msg-3", and the
// scenario's, so that a report on the replay's store (replay --db) can
// name it alike (see Load), and so that the messages of scenarios
// replayed into one store, whose clocks start alike and which all have a
// msg-1, have Message-IDs of their own.
func ScenarioMessageID(scenario string, seq int, nanos int64) string {
	id := fmt.Sprintf("scenario.msg-%d.%d", seq, nanos)
	if t := scenarioToken(scenario); t != "" {
		id += "." + t
	}
	return id + "@relaylab.test"
}

// maxScenarioToken bounds the scenario's name in a Message-ID, so that the
// field stays far within a line's 998 octets (RFC 5322 2.1.1).
const maxScenarioToken = 240

// scenarioToken writes a scenario's name as an atom of a Message-ID's
// left part (RFC 5322 3.6.4: atext): letters, digits, "-" and "_" as they
// are, each other octet as "=XX", its hex value; a name longer than
// maxScenarioToken octets written so is cut there.
func scenarioToken(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		enc := string(c)
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			enc = fmt.Sprintf("=%02X", c)
		}
		if b.Len()+len(enc) > maxScenarioToken {
			break
		}
		b.WriteString(enc)
	}
	return b.String()
}

// scenarioFromToken is the name scenarioToken wrote as token; a token
// with an escape that does not decode is taken as it is.
func scenarioFromToken(token string) string {
	var b strings.Builder
	for i := 0; i < len(token); i++ {
		if token[i] != '=' {
			b.WriteByte(token[i])
			continue
		}
		v, err := strconv.ParseUint(token[min(i+1, len(token)):min(i+3, len(token))], 16, 8)
		if err != nil || i+3 > len(token) {
			return token
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String()
}

// The Message-ID of a replay's message; stores written before it named
// the scenario have no token.
var scenarioMessageRE = regexp.MustCompile(`^scenario\.msg-([0-9]+)\.[0-9]+(?:\.([A-Za-z0-9_=-]+))?@relaylab\.test$`)

// scenarioName is the scenario (its name: key, "" in a store written
// before the Message-ID carried it) and the scenario's name of the
// message whose Message-ID is mid ("msg-3") and its number (3), when a
// replay gave it that Message-ID; "", "" and 0 otherwise.
func scenarioName(mid string) (scenario, name string, seq int) {
	m := scenarioMessageRE.FindStringSubmatch(mid)
	if m == nil {
		return "", "", 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return "", "", 0
	}
	return scenarioFromToken(m[2]), "msg-" + m[1], n
}
