package reports

// NotJudgedAtLimit marks the results of x on d (Evaluate's, in its
// order: the recipient expectations, then the aggregate checks) that a
// replay stopped at its clock limit before their recipients were final
// cannot judge: a recipient not final may still be tried, delivered,
// bounced or given a DSN, so its expectation's pass or failure says
// nothing yet. Each fails as not judged, saying why (why: the limit and
// what to do) and which recipients were still open; the others keep
// their verdict, judged on recipients that are final. The aggregate
// checks, over every recipient, are not judged while any is open.
func NotJudgedAtLimit(results []Result, d *Data, x Expectations, why string) []Result {
	var open []*Recipient
	for _, r := range d.Recipients {
		if !r.Final() && !r.relayDSN {
			open = append(open, r)
		}
	}
	if len(open) == 0 {
		return results
	}
	mark := func(res *Result, rs []*Recipient) {
		res.Pass = false
		res.Message = "not judged: " + why + "; not final then: " + RecipientStates(rs, 3)
	}
	for i := range results {
		if i >= len(x.Recipients) {
			mark(&results[i], open) // an aggregate check
			continue
		}
		e := x.Recipients[i]
		var mine []*Recipient
		for _, r := range open {
			if MatchAddress(e.Match, r.Address) && (e.Message == "" || Glob(e.Message, r.Message)) {
				mine = append(mine, r)
			}
		}
		if len(mine) > 0 {
			mark(&results[i], mine)
		}
	}
	return results
}
