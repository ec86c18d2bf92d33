package main

import (
	"regexp"
	"strconv"

	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/web"
)

// builtinClassifier is the relay's built-in classifier, read once: the
// sink's pages explain a refusal as the sender under test would conclude
// it, with this table where no relay of serve gives its own, and send
// explains the refusals it met with it.
var builtinClassifier = relay.BuiltinClassifier

// relayStage names a sink stage as the relay names the same moment: the
// reply to the final dot is the relay's "dot", and a reply before any
// command (the sink's "connect") is the relay's "greeting".
func relayStage(stage string) string { return relay.SinkStage(stage) }

// explainReply is the classifier's verdict on a 4xx or 5xx reply the sink
// gave at its stage; ok is false for any other reply (or none). A reply a
// rule or directive asked for is explained too: the sender cannot tell.
// The classifier is the relay's own where serve runs one (with its
// configuration's classify rules, as its queue pages judge replies), the
// built-in table otherwise. relay.ExplainSinkReply is the one reading of
// a sink's reply: relaylab report and expect explain a sink's record with
// it too (reports.FromSink).
//
// A deferral's advice is the one report and expect give for a sender
// relaylab did not run (reports.OutsideSenderAdvice): whether it clears
// on its own depends on whether the client retries.
//
// A reply that follows from the sink's earlier ones (554 5.5.1 No valid
// recipients to DATA, after every RCPT was refused) is explained as such
// first, as relaylab report and expect explain it (reports.SinkConsequence):
// the classifier reads it as a refusal of its own ("read the reply text").
func (a sinkAdapter) explainReply(stage string, code int, enhanced, text string) (relay.Verdict, bool) {
	v, ok := relay.ExplainSinkReply(a.classify, stage, code, enhanced, text)
	if x, is := reports.SinkConsequence(stage, code, enhanced, text); is {
		v.Category, v.Reason, v.Advice, ok = "no-valid-recipients", x.Reason, x.Advice, true
	}
	if ok && code/100 == 4 {
		// The classifier's advice is the relay's, which retries ("nothing;
		// the next attempt ..."); the sink's client may be swaks or an
		// application that sends once, as report and expect advise.
		v.Advice = reports.OutsideSenderAdvice(v.Advice)
	}
	return v, ok
}

// replyLineRE reads a server line of a transcript: "550 5.7.1 text".
var replyLineRE = regexp.MustCompile(`^([45]\d\d)[ -](?:([45]\.\d{1,3}\.\d{1,3}) )?(.*)$`)

// explainLine explains a transcript's reply line, whose stage the
// transcript does not say: only the rules that hold at any stage apply.
func (a sinkAdapter) explainLine(line string) (relay.Verdict, bool) {
	m := replyLineRE.FindStringSubmatch(line)
	if m == nil {
		return relay.Verdict{}, false
	}
	code, _ := strconv.Atoi(m[1])
	return a.explainReply("", code, m[2], m[3])
}

var _ web.SinkExplainAPI = sinkAdapter{}

// ExplainReply explains a reply the sink gave, for the web's events: the
// feed explains the sink's refusals (sink.reply) as the Sink page does.
func (a sinkAdapter) ExplainReply(stage string, code int, enhanced, text string) (web.Explanation, bool) {
	v, ok := a.explainReply(stage, code, enhanced, text)
	return web.Explanation{Category: v.Category, Reason: v.Reason, Advice: v.Advice}, ok
}
