package reports

import (
	"cmp"
	"regexp"
	"strings"
	"time"
)

// why is the plain-language reason for a recipient not delivered, and
// what to do: the relay's classification when the log has it (on a
// sink's record, the classifier's reading of its refusal: explainSink),
// else one read from its last reply's class and enhanced status code,
// saying that it is (a recipient still queued, and on a sink's record one
// whose last attempt got no refusal to classify, have no category). It
// is "" for a delivered recipient.
func (r *Recipient) why() (reason, advice string) {
	if r.Status == "delivered" {
		return "", ""
	}
	reason, advice = r.ownWhy()
	if r.Status == "held" && len(r.Holds) > 0 && r.Holds[len(r.Holds)-1].Category == handHold {
		// Held by hand: that is why nothing is tried, whatever its last
		// reply was; and it waits for a person, not for the relay.
		h := r.Holds[len(r.Holds)-1]
		why := "held by hand (relaylab queue hold) since " + h.Time.UTC().Format(time.RFC3339) + ": " + h.Text
		if len(r.Attempts) > 0 {
			why += "; before the hold: " + reason
		}
		return why, "release it when it should be sent: relaylab queue release " + cmp.Or(r.Message, "ID") + " (or POST /api/v1/queue/" + cmp.Or(r.Message, "ID") + "/release); relaylab queue delete drops it"
	}
	if note := cmp.Or(r.heldNote(), r.handHeldNote()); note != "" {
		reason += "; " + note
	}
	return reason, advice
}

// handHold and handRelease are the categories of the holds that
// relaylab queue hold and release make (relay.held, relay.released), as
// Load keeps them beside the relay's own shaping holds.
const (
	handHold    = "held-by-hand"
	handRelease = "released-by-hand"
)

// heldNote says, of a recipient not final that was tried and is now
// held by the relay's shaping (its last hold came after its last
// attempt: its destination rests after another message's 421), that it
// is held, until when and why; "" otherwise. A recipient only held has
// the hold's reason for its own.
func (r *Recipient) heldNote() string {
	if r.Final() || len(r.Holds) == 0 || len(r.Attempts) == 0 {
		return ""
	}
	h := r.Holds[len(r.Holds)-1]
	if h.Time.Before(r.Attempts[len(r.Attempts)-1].Time) || h.Category == handHold || h.Category == handRelease {
		return ""
	}
	s := "now held by the relay's shaping"
	if !h.Until.IsZero() {
		s += " until " + h.Until.UTC().Format(time.RFC3339)
	}
	if h.Category != "" {
		s += " (" + h.Category + ")"
	}
	return s + ": " + h.Text
}

// ownWhy is why without the note of a hold.
func (r *Recipient) ownWhy() (reason, advice string) {
	if r.Reason != "" {
		return r.Reason, r.Advice
	}
	if len(r.Attempts) == 0 {
		return "no attempt had ended when the report was made (no category yet)",
			"run the report again once the queue has worked; relaylab queue show says what the recipient waits for"
	}
	a := r.Attempts[len(r.Attempts)-1]
	const from = "read from the last reply: no category was recorded (on a sink's record, only a 4xx or 5xx refusal has one)"
	if reason, advice, ok := sinkOnPurpose(a); ok && r.fromSink {
		return reason, advice
	}
	if x, ok := SinkConsequence(a.Stage, a.Code, a.Enhanced, a.Text); ok && r.fromSink {
		return x.Reason, x.Advice
	}
	switch c := a.Code / 100; {
	case a.Code == 0:
		reason, advice = "the last attempt got no reply: the connection failed, was dropped or timed out",
			"a sender retries it later; if it persists, check that the receiving server is up, reachable and answers within the timeouts"
	case c == 4:
		reason, advice = "the last reply is a temporary refusal (4xx, RFC 5321 4.2.1): the receiving side asks the sender to try again later",
			"nothing if a later try clears it; if it persists, read the reply text: it usually says why (greylisting, a rate limit, a full mailbox)"
	case c == 5:
		reason, advice = "the last reply is a permanent refusal (5xx, RFC 5321 4.2.1): a sender does not retry it, and returns a bounce to the message's sender",
			"read the reply text and fix what it names (the address, the content, the sending IP or domain's reputation) before sending to it again"
	default:
		reason, advice = "the recipient was accepted, but its transaction went no further: no message data followed",
			"check the sender's log for why it stopped after RCPT TO"
	}
	if s := enhancedMeaning(a.Enhanced); s != "" {
		reason += "; " + a.Enhanced + " is " + s
	}
	return reason + " (" + from + ")", advice
}

// enhancedMeaning is what an enhanced status code (RFC 3463 3) is about:
// the commonest codes by their detail, the others by their subject.
func enhancedMeaning(code string) string {
	parts := strings.Split(code, ".")
	if len(parts) != 3 {
		return ""
	}
	switch parts[1] + "." + parts[2] {
	case "1.1":
		return "a bad destination mailbox address: the mailbox does not exist (RFC 3463 3.2)"
	case "1.2":
		return "a bad destination system: the domain does not exist or takes no mail (RFC 3463 3.2)"
	case "2.1":
		return "a disabled mailbox (RFC 3463 3.3)"
	case "2.2":
		return "a full mailbox (RFC 3463 3.3)"
	case "3.4", "2.3":
		return "a message too big for the receiver (RFC 3463 3.3, 3.4)"
	case "7.1":
		return "delivery not authorized: the receiver's policy does not take the message (RFC 3463 3.8)"
	}
	switch parts[1] {
	case "0":
		return "an undefined status (RFC 3463 3.1)"
	case "1":
		return "about the address (RFC 3463 3.2)"
	case "2":
		return "about the mailbox (RFC 3463 3.3)"
	case "3":
		return "about the receiving mail system (RFC 3463 3.4)"
	case "4":
		return "about the network or routing (RFC 3463 3.5)"
	case "5":
		return "about the SMTP exchange itself (RFC 3463 3.6)"
	case "6":
		return "about the message's content or media (RFC 3463 3.7)"
	case "7":
		return "about security or policy (RFC 3463 3.8)"
	}
	return ""
}

// unsentBounce says, for a recipient the sink accepted and has a late
// bounce for that did not go out (DSNNotSent, a sink's record), what
// became of the bounce and what to do: the sender was told nothing, and
// the recipient reads as delivered. Both are "" otherwise.
func (r *Recipient) unsentBounce() (note, advice string) {
	n := r.DSNNotSent
	if n == "" {
		return "", ""
	}
	note = "late bounce not sent: the sink accepted the message and has a bounce for this recipient that " + n
	// Where the bounce went: the relay the sink tried, when its record
	// says (sink.bounce.relay, or under serve the serve's own relay).
	at := "the sink's bounce relay address (sink.bounce.relay)"
	if relay := cmp.Or(r.dsnRelay, bounceRelayIn(n)); relay != "" {
		at = relay + ", where the sink sends its bounces (sink.bounce.relay, or under relaylab serve its own relay)"
	}
	switch {
	case strings.Contains(n, "connecting to the bounce relay") || strings.Contains(n, "connection refused"):
		advice = "nothing listens at " + at + ": start a relay that takes the sink's mail there (relaylab relay or serve), or set sink.bounce.relay to the address of one that listens"
	case strings.Contains(n, "no sink.bounce.relay"):
		advice = "set sink.bounce.relay to a relay's host:port, or run the sink under relaylab serve, which sends its bounces into its own relay"
	case strings.Contains(n, "null sender") || strings.Contains(n, "NOTIFY"):
		advice = "nothing: no DSN was due (a message from the null sender is never bounced, RFC 5321 6.1; NOTIFY asked for none, RFC 3461 4.1)"
	case senderRefusedRE.MatchString(n):
		// 5.1.x: the relay refused the DSN's recipient, the message's
		// sender (RFC 3463 3.2), not the sink's mail.
		advice = "the relay at " + at + " took the sink's mail but refused the DSN's recipient, the message's own sender, whose address takes no mail: give the messages your test sends a sender address that can receive, or expect no DSN for such a sender"
	case strings.Contains(n, "not sent yet"):
		advice = "keep the sink running until the bounce is due, then make the report again; if its log says a try failed, see that something listens at " + at + ": start a relay there, or set sink.bounce.relay to one that listens"
	default:
		advice = "the relay at " + at + " did not take the bounce: read the error, fix that relay, or set sink.bounce.relay to one that takes the sink's mail"
	}
	return note, advice
}

// senderRefusedRE finds a relay's permanent refusal of a sink's DSN for
// its recipient's address (5.1.x, RFC 3463 3.2): the message's sender.
var senderRefusedRE = regexp.MustCompile(`refused the DSN for good with 5\d\d 5\.1\.\d`)

// bounceRelayRE finds the relay a sink's failed bounce names: "connecting
// to the bounce relay 127.0.0.1:2526: dial tcp ...", "the bounce relay
// 127.0.0.1:2526 refused the DSN for good" (sink/bounce.go).
var bounceRelayRE = regexp.MustCompile(`the bounce relay (\S+?):? `)

// bounceRelayIn is the relay that the error of a sink's bounce names, ""
// when it names none.
func bounceRelayIn(text string) string {
	if m := bounceRelayRE.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// sinkOnPurpose reads an attempt that the sink ended without a reply on
// purpose (a dotdrop directive, a rule's drop: or hang:, which By names):
// not a server that failed, so "check that it is up" would mislead.
// ok is false for any other attempt.
func sinkOnPurpose(a Attempt) (reason, advice string, ok bool) {
	if a.Code != 0 || a.By == "" {
		return "", "", false
	}
	what := cmp.Or(a.Text, "the sink ended the connection without a reply")
	reason = "the sink gave no reply on purpose, as its " + a.By + " asks: " + what + "; the receiving side is up, and this is the failure the test asked for"
	advice = "nothing if the sender retries it, which it must: no reply is no acceptance (RFC 5321 6.1: a receiver takes responsibility for a message with its 2xx); judge the retry with attempts"
	if a.Stage == "data-end" {
		advice = "nothing if the sender retries it, which it must: a connection lost after the final dot, before the reply, is no acceptance (RFC 5321 6.1: a receiver takes responsibility for a message with its 2xx); " +
			"a retry may deliver the message twice, since the receiver may have taken it (RFC 1047), which is what a drop after the dot tests: judge the retries with attempts, and the copies the receiving side holds with copies (count counts the message's record once, its retries in it)"
	}
	return reason, advice, true
}

// SinkConsequence explains a reply of the sink's that follows from its
// earlier replies rather than stands for a refusal of its own: the 554
// 5.5.1 "No valid recipients" it gives to DATA after it refused every
// RCPT TO of the transaction (RFC 5321 3.3), which a pipelining sender
// sends without waiting for the RCPT replies (RFC 2920 3.1). ok is false
// for any other reply.
func SinkConsequence(stage string, code int, enhanced, text string) (Explanation, bool) {
	if stage != "data" || code != 554 || !strings.HasPrefix(strings.ToLower(text), "no valid recipients") {
		return Explanation{}, false
	}
	return Explanation{
		Reason: "the sink answered DATA with 554 " + enhanced + " because it had refused every RCPT TO of the transaction (RFC 5321 3.3): a consequence of those refusals, not a refusal of its own; " +
			"a pipelining sender sends DATA before it reads the RCPT replies (RFC 2920 3.1), so it meets this reply whenever every recipient was refused",
		Advice: "nothing about this reply: read the RCPT TO replies of the same session, which say why each recipient was refused (and whether it is retried)",
	}, true
}
