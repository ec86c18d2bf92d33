package relay

import "sync"

// The receiving sink's replies, read as the sender under test would read
// them: the web UI's sink pages and the reports on a sink's record both
// explain a sink's reply here, so that one reply reads the same in both.

// builtinClassifier is the built-in table alone, read once: the table is
// embedded and never changes.
var builtinClassifier = sync.OnceValues(func() (*Classifier, error) { return NewClassifier(nil) })

// BuiltinClassifier is the classifier of the built-in table alone, with
// no relay.classify rules before it.
func BuiltinClassifier() (*Classifier, error) { return builtinClassifier() }

// SinkStage names a sink's stage as the relay names the same moment: the
// reply to the final dot is the sink's "data-end" and the relay's "dot",
// and a reply before any command (the sink's "connect") is the relay's
// "greeting". Other stages have the same name in both.
func SinkStage(stage string) string {
	switch stage {
	case "data-end":
		return "dot"
	case "connect":
		return "greeting"
	case "lhlo":
		return "ehlo" // LMTP's greeting command (RFC 2033 4.1), as relaylab load --lmtp names it
	}
	return stage
}

// ExplainSinkReply is c's verdict on a 4xx or 5xx reply a receiving sink
// gave at stage (the sink's name for it: rcpt, data-end, connect), with
// the built-in table when c is nil. A reply a sink rule or directive
// asked for is explained too: the sender cannot tell. ok is false for
// any other reply (a 2xx or 3xx, or none: a dropped connection), and if
// the built-in table cannot be read.
func ExplainSinkReply(c *Classifier, stage string, code int, enhanced, text string) (v Verdict, ok bool) {
	if code < 400 || code > 599 {
		return Verdict{}, false
	}
	if c == nil {
		var err error
		if c, err = BuiltinClassifier(); err != nil {
			return Verdict{}, false
		}
	}
	return c.Classify(Reply{Stage: SinkStage(stage), Code: code, Enhanced: enhanced, Text: text}), true
}
