package sink

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A session that goes on past maxReplies replies is still counted whole:
// by CountReplies (relaylab report's "by sink reply", the web's reports)
// and by the sink.reply events summed with their count, as its attempts
// are; its record keeps the replies past the bound folded, not one by
// one, and its last reply (the 221 to QUIT) as it was.
func TestRepliesPastTheBoundAreCounted(t *testing.T) {
	t.Parallel()
	const refused = maxReplies + 500
	_, st, addr := itSink(t, func(c *Config) {
		c.Listeners[0].Limits.MaxRefusedRecipients = 0 // no 421 for the flood
	})
	var b strings.Builder
	b.WriteString("EHLO many.test\r\nMAIL FROM:<a@many.test>\r\n")
	for i := range refused {
		fmt.Fprintf(&b, "RCPT TO:<r%d+rcpt451@lab.test>\r\n", i)
	}
	b.WriteString("RSET\r\nQUIT\r\n")
	codes, _ := pipelined(t, addr, b.String())
	if len(codes) != refused+5 {
		t.Fatalf("%d replies read, want %d", len(codes), refused+5)
	}
	waitSessions(t, st, 1)
	db := st.DB()
	if n := itCount(t, db, `SELECT COUNT(*) FROM sink_attempts WHERE code = 451`); n != refused {
		t.Fatalf("%d attempts refused with 451, want %d", n, refused)
	}
	tally, err := CountReplies(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range tally.Counts {
		got[fmt.Sprintf("%s %d", c.Stage, c.Code)] = c.Count
	}
	want := map[string]int{"connect 220": 1, "ehlo 250": 1, "mail 250": 1, "rcpt 451": refused, "rset 250": 1, "quit 221": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CountReplies %v, want %v", got, want)
	}
	if n := itCount(t, db, `SELECT SUM(max(COALESCE(json_extract(payload, '$.count'), 1), 1)) FROM events
		WHERE kind = 'sink.reply' AND json_extract(payload, '$.code') = 451`); n != refused {
		t.Errorf("sink.reply events count %d replies 451, want %d", n, refused)
	}
	rs, _ := lastSession(t, st)
	if len(rs) > maxReplies+3 {
		t.Errorf("the record keeps %d replies, want at most %d (the rest folded)", len(rs), maxReplies+3)
	}
	if last := rs[len(rs)-1]; last.Code != 221 || last.Stage != StageQuit || last.Count != 0 {
		t.Errorf("the record's last reply %+v, want the 221 to QUIT on its own", last)
	}
	var codesField string
	if err := db.QueryRow(`SELECT json_extract(payload, '$.codes') FROM events WHERE kind = 'sink.session'`).Scan(&codesField); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(codesField, fmt.Sprintf(" 451x%d 250x1 221", refused-(maxReplies-3))) {
		t.Errorf("the session's codes end %q, want the folded 451s counted, then the RSET's 250 and the 221", codesField[max(0, len(codesField)-40):])
	}
}

// Folding keeps one record per stage, code and enhanced code, up to
// maxFoldKeys of them; then by stage and code alone, so that a client
// choosing enhanced codes cannot grow it without end.
func TestReplyFoldBounded(t *testing.T) {
	t.Parallel()
	var f replyFold
	n := 0
	for i := range 3 * maxFoldKeys {
		f.add(replyRecord{At: float64(i), Stage: StageRcpt, Code: 550, Enhanced: fmt.Sprintf("5.1.%d", i), Text: "no", Rcpt: fmt.Sprintf("r%d@x", i)})
		n++
	}
	f.add(replyRecord{At: 9999, Stage: StageQuit, Code: 221})
	n++
	rs := f.records()
	if len(rs) > maxFoldKeys+2 {
		t.Fatalf("%d records, want at most %d", len(rs), maxFoldKeys+2)
	}
	sum := 0
	for _, r := range rs {
		sum += max(r.Count, 1)
	}
	if sum != n {
		t.Errorf("the records stand for %d replies, want %d", sum, n)
	}
	if last := rs[len(rs)-1]; last.Code != 221 || last.Count != 0 {
		t.Errorf("last record %+v, want the 221 alone", last)
	}
	if r := rs[0]; r.Count != 1 || r.Rcpt != "r0@x" || r.First != 0 {
		t.Errorf("first folded record %+v, want one reply with its recipient", r)
	}
	if r := rs[len(rs)-2]; r.Enhanced != "" || r.Rcpt != "" || r.Count < 2 {
		t.Errorf("overflow record %+v, want several replies by stage and code alone", r)
	}
}
