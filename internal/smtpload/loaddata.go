package smtpload

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// builtNames are the fields a built message has (worker.transaction),
// lower case.
var builtNames = []string{"from", "to", "subject", "message-id", "date", "mime-version", "content-type"}

// builtFields are the built fields that headers (Config.Headers) name,
// lower case: those the built header leaves out, as the given one
// replaces it; a message with two Subject fields is one RFC 5322 3.6
// allows no reader to make sense of.
func builtFields(headers []string) map[string]bool {
	m := map[string]bool{}
	for _, h := range headers {
		name, _, _ := strings.Cut(h, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		for _, b := range builtNames {
			if name == b {
				m[name] = true
			}
		}
	}
	return m
}

// dataWithoutMessageID is msg, a whole message in wire form, less the
// Message-ID fields of its header section (with their folded lines):
// each message sent with it gets one of its own in front, so that a run
// of many is many messages, not one message many times (the sink counts
// a directive's attempts per Message-ID, and dedupes nothing else).
// A message whose header section is not fields all through
// (CheckData) is left as it is.
func dataWithoutMessageID(msg []byte) []byte {
	out := make([]byte, 0, len(msg))
	dropping := false
	rest := msg
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			// The end of the header section: the body goes as it is.
			out = append(out, line...)
			return append(out, rest...)
		}
		folded := line[0] == ' ' || line[0] == '\t'
		if !folded {
			name, _, ok := bytes.Cut(line, []byte(":"))
			if !ok || bytes.ContainsAny(name, " \t") {
				// Not a field: no header section to edit.
				return msg
			}
			dropping = strings.EqualFold(string(name), "Message-ID")
		}
		if !dropping {
			out = append(out, line...)
		}
	}
	return out
}

// CheckData says what keeps msg, in wire form, from being Config.Data, a
// whole message with a header section of fields at its start: a run would send
// a header of one Message-ID over it, and the server read its first lines
// as part of the header or as nothing at all.
func CheckData(msg []byte) error {
	first, _, _ := bytes.Cut(msg, []byte("\n"))
	first = bytes.TrimRight(first, "\r")
	if len(first) == 0 {
		return errors.New("it starts with an empty line, so it has no header section: a whole message starts with its header fields (From:, To:, Subject: ...), then an empty line, then the body")
	}
	name, _, ok := bytes.Cut(first, []byte(":"))
	if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
		return fmt.Errorf("line 1 (%.60q) is not a header field (\"Name: value\"): a whole message starts with its header fields (From:, To:, Subject: ...), then an empty line, then the body", first)
	}
	return nil
}
