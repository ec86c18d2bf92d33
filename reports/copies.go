package reports

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Copies is how many copies of r's message the receiving side holds, or
// may hold: one for each exchange that got the whole message to it and
// was then answered with a 2xx, or got no reply at all (a drop or a
// timeout after the final dot, after which the receiver may have
// delivered it: RFC 1047, RFC 5321 6.1). A retry after such a drop is
// the same message, so it joins the record, and count counts the record
// once; copies counts what the receiving side was left with. On a sink's
// record a message the sink stored counts once, however many of its
// attempts name it.
func (r *Recipient) Copies() int {
	return len(r.copyTries())
}

// copyTries are the try numbers of r's exchanges that left a copy (see
// Copies), one per copy, in order.
func (r *Recipient) copyTries() []int {
	var out []int
	seen := map[int64]bool{}
	nums := r.tryNumbers()
	for i, a := range r.Attempts {
		if !a.leftCopy() {
			continue
		}
		if a.sinkMessage != 0 {
			if seen[a.sinkMessage] {
				continue
			}
			seen[a.sinkMessage] = true
		}
		out = append(out, nums[i])
	}
	return out
}

// leftCopy reports whether the exchange a got the whole message to the
// receiving side and did not refuse it: a 2xx after the final dot (the
// relay's stage "dot", the sink's "data-end", or its "data" for BDAT
// LAST), or no reply after it, which the relay classifies as
// connection-lost-after-data (relay/classify.yaml).
func (a Attempt) leftCopy() bool {
	if a.Stage != "dot" && a.Stage != "data-end" && a.Stage != "data" {
		return false
	}
	if a.Code >= 200 && a.Code < 300 {
		return true
	}
	// No reply: after the dot for the relay; at the sink's data-end, its
	// drop or hang after it stored the message (dotdrop, a rule's drop:).
	return a.Code == 0 && (a.Stage == "dot" || a.Stage == "data-end")
}

// checkCopies is what a copies expectation that r does not meet says:
// how many copies there are, which attempts left them, and what counts
// as one; "" when it holds.
func checkCopies(r *Recipient, want Range) string {
	tries := r.copyTries()
	if want.Contains(len(tries)) {
		return ""
	}
	msg := fmt.Sprintf("expected %s of the message at the receiving side (copies), got %d", rangeNoun(want, "copy", "copies"), len(tries))
	if len(tries) > 0 {
		nums := make([]string, len(tries))
		for i, n := range tries {
			nums[i] = strconv.Itoa(n)
		}
		msg += fmt.Sprintf(", left by %s %s", plural(len(tries), "attempt", "attempts"), joinAnd(nums))
	}
	return msg + " (a copy is an attempt that got the whole message across and was answered with a 2xx, or with no reply at all after the final dot, after which the receiver may have delivered it)"
}

// rangeNoun is a range with its noun: "1 copy", "2 copies", ">=2 copies".
func rangeNoun(r Range, one, many string) string {
	if r.String() == "1" {
		return "1 " + one
	}
	return r.String() + " " + many
}

// copiesNote says, after a count that found fewer records than it asked
// for, that the records found hold more copies of their messages than
// there are records: a retry of one message (after a drop after the dot)
// joins its record, so count counts it once, and copies judges the
// copies. "" when they hold no more. noun is what count counts: record
// or recipient.
func copiesNote(found []*Recipient, want Range, noun string) string {
	copies := 0
	for _, r := range found {
		copies += r.Copies()
	}
	if copies <= len(found) || !want.Contains(copies) {
		return ""
	}
	give := "copies: (which judges each " + noun + "'s)"
	if len(found) == 1 {
		give = fmt.Sprintf("copies: %d", copies)
	}
	return fmt.Sprintf(" (the receiving side holds %d copies of %s: a retry of a message, as after a drop after the final dot, is the same %s, which count counts once; "+
		"to judge the copies the receiving side holds, give %s instead of count)",
		copies, plural(len(found), "the message", "the messages"), noun, give)
}

// copiesNote says, of a recipient whose message the receiving side holds
// more than once, or holds although the relay did not deliver it (see
// Copies), how many copies, which attempts left them, the Message-ID
// they share, and why; advice is what to do. Both are "" for a recipient
// with one copy that was delivered, or with none. A copy an attempt left
// without a reply is certain when the sink of the same store said it
// dropped the connection on purpose (By), as it stored the message
// first; otherwise the receiver only may have kept it.
func (r *Recipient) copiesNote() (note, advice string) {
	tries := r.copyTries()
	n := len(tries)
	if n == 0 || n == 1 && r.Status == "delivered" {
		return "", ""
	}
	sure := true
	for _, a := range r.Attempts {
		if a.leftCopy() && a.Code == 0 && a.By == "" {
			sure = false
		}
	}
	holds := "holds"
	if !sure {
		holds = "holds, or may hold,"
	}
	nums := make([]string, n)
	for i, t := range tries {
		nums[i] = strconv.Itoa(t)
	}
	what := "this message"
	if mid := cmp.Or(r.relayMessageID, r.messageID); mid != "" {
		what += " (Message-ID <" + strings.Trim(mid, "<>") + ">)"
	}
	lost := "after an attempt sent the whole message and its final dot, no reply came (the connection was lost or timed out), so the sender could not know that the message had arrived"
	if r.Status == "delivered" {
		note = fmt.Sprintf("the receiving side %s %d copies of %s, left by %s %s: a duplicate; %s, and sent it again, as it must (RFC 5321 6.1: only a 2xx reply hands the message over; RFC 1047)",
			holds, n, what, plural(n, "attempt", "attempts"), joinAnd(nums), lost)
	} else {
		if !sure {
			holds = "may hold"
		}
		note = fmt.Sprintf("the receiving side %s %d %s of %s, left by %s %s, although the relay reports it %s: %s (RFC 1047)",
			holds, n, plural(n, "copy", "copies"), what, plural(n, "attempt", "attempts"), joinAnd(nums), r.Status, lost)
	}
	advice = "nothing in the relay: trying again after no reply is right, as a lost message is worse than a duplicate; the recipient may see the message more than once, and a receiver (or your app, reading its own inbound mail) can drop the extra copies by their Message-ID; " +
		"if drops after the final dot recur with a real server, read its log for the message and keep the path's data_timeout at 10 minutes or more (RFC 5321 4.5.3.2.6), so that a slow answer to the final dot is not cut off"
	return note, advice
}

// sinkUnansweredNote follows the count of the sink's messages: how many
// it stored with no reply to their final dot (a drop or hang after it,
// as a test asked), which their senders cannot know arrived and may send
// again, so that "1 accepted of 2 received" does not read as one copy
// kept. "" when there are none.
func sinkUnansweredNote(n int) string {
	switch {
	case n == 1:
		return "; 1 of them stored with no reply to its final dot (the sink dropped the connection or fell silent after it), so its sender cannot know it arrived and may send it again: a possible duplicate"
	case n > 1:
		return fmt.Sprintf("; %d of them stored with no reply to their final dot (the sink dropped the connection or fell silent after it), so their senders cannot know they arrived and may send them again: possible duplicates", n)
	}
	return ""
}
