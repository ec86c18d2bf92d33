package sink

// maxReplyRcpts bounds the recipients a reply's record lists (Rcpts): a
// session keeps up to maxReplies records, and a listener without
// limits.max_recipients takes any number of recipients per message. The
// attempts (sink_attempts) name every one.
const maxReplyRcpts = 100

// about makes rr the record of a reply about rcpts, the transaction's
// recipients accepted at RCPT (a reply to DATA, BDAT LAST or the final
// dot): the attempt of the first, as the message's record has it (not the
// last RCPT, maybe refused); the recipient when there is one; and, for a
// refusal (what has a sink.reply event) of several, up to maxReplyRcpts
// of them and how many more.
func (rr *replyRecord) about(rcpts []rcptState) {
	if len(rcpts) == 0 {
		return
	}
	rr.Attempt = rcpts[0].attempt
	if len(rcpts) == 1 {
		rr.Rcpt = rcpts[0].addr
		return
	}
	if rr.Code < 400 {
		return
	}
	n := min(len(rcpts), maxReplyRcpts)
	rr.Rcpts = make([]string, n)
	for i := range n {
		rr.Rcpts[i] = rcpts[i].addr
	}
	rr.MoreRcpts = len(rcpts) - n
}
