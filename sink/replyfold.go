package sink

import "slices"

// A session keeps its first maxReplies replies one by one. A session that
// goes on past them (one connection that sends thousands of messages, a
// flood of refused commands) must still be counted right by those who
// count replies (CountReplies, the sink.reply events), without keeping
// each reply: the later ones are folded into one record per stage, code
// and enhanced code, with their number (replyRecord.Count). The session's
// last reply stays a record of its own, with its recipient and what chose
// it: the reply that ended the session, which its list shows.

// maxFoldKeys bounds the folded records a session keeps by enhanced code
// (a client chooses those, in a directive such as rcpt550-5.7.1); past it,
// replies with a new enhanced code are folded by stage and code alone,
// which the sink's stages and three-digit codes bound.
const maxFoldKeys = 256

type foldKey struct {
	stage    Stage
	code     int
	enhanced string
}

// replyFold holds a session's replies past maxReplies.
type replyFold struct {
	index map[foldKey]int // into recs
	recs  []replyRecord   // in the order their first reply came
	last  replyRecord     // the latest reply, not yet folded
	n     int             // replies added
}

// add takes rr, the session's latest reply, and folds the one before it.
func (f *replyFold) add(rr replyRecord) {
	if f.n > 0 {
		f.fold(f.last)
	}
	f.last = rr
	f.n++
}

func (f *replyFold) fold(rr replyRecord) {
	k := foldKey{rr.Stage, rr.Code, rr.Enhanced}
	i, ok := f.index[k]
	if !ok && len(f.index) >= maxFoldKeys {
		k.enhanced = ""
		i, ok = f.index[k]
	}
	if !ok {
		if f.index == nil {
			f.index = make(map[foldKey]int)
		}
		first := rr
		first.Enhanced = k.enhanced
		first.Attempt = 0
		first.Count = 0
		first.First = rr.At
		f.index[k] = len(f.recs)
		f.recs = append(f.recs, first)
		i = len(f.recs) - 1
	}
	r := &f.recs[i]
	r.Count++
	r.At = rr.At
	// A recipient, or what chose the reply, is kept only when all the
	// folded replies share it; the text is the first one's.
	if r.Rcpt != rr.Rcpt {
		r.Rcpt = ""
	}
	if r.MoreRcpts != rr.MoreRcpts || !slices.Equal(r.Rcpts, rr.Rcpts) {
		r.Rcpts, r.MoreRcpts = nil, 0
	}
	if r.By != rr.By {
		r.By = ""
	}
}

// records is what the fold adds to the session's first replies: the
// folded records, then the last reply as it was.
func (f *replyFold) records() []replyRecord {
	if f.n == 0 {
		return nil
	}
	out := make([]replyRecord, 0, len(f.recs)+1)
	out = append(out, f.recs...)
	return append(out, f.last)
}
