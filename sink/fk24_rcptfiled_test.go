package sink

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
)

// A RCPT refused for its syntax (or for a non-ASCII address without
// SMTPUTF8) is about the address it names: its sink.reply event and its
// attempt carry that address, as the client wrote it, and never the
// recipient of an earlier RCPT, of this transaction or of one before an
// RSET. The recipient accepted before keeps its own record: its 250.
func TestSyntaxRefusalFiledUnderItsAddress(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	codes, lines := pipelined(t, addr, "EHLO a.test\r\n"+
		"MAIL FROM:<app5@shop.test>\r\nRCPT TO:<ok5@x.test>\r\nRCPT TO:<a..b@x.test>\r\nRCPT TO:<c@b..test>\r\nRSET\r\n"+
		"MAIL FROM:<app@shop.test>\r\nRCPT TO:<first@x.test>\r\nRSET\r\n"+
		"MAIL FROM:<app2@shop.test>\r\nRCPT TO:<zoë@x.test>\r\nQUIT\r\n")
	want := []int{220, 250, 250, 250, 553, 553, 250, 250, 250, 250, 250, 553, 221}
	if !slices.Equal(codes, want) {
		t.Fatalf("replies %v %q, want codes %v", codes, lines, want)
	}
	waitSessions(t, st, 1)
	db := st.DB()

	// The sink.reply events of the refusals, as the recipient pages and
	// the feed read them.
	got := queryRows(t, db, `SELECT recipient, json_extract(payload, '$.recipient'), json_extract(payload, '$.enhanced'),
			'#' || COALESCE(json_extract(payload, '$.attempt'), 0)
		FROM events WHERE kind = 'sink.reply' ORDER BY id`)
	wantEv := []string{"a..b@x.test a..b@x.test 5.1.3 #1", "c@b..test c@b..test 5.1.3 #1", "zoë@x.test zoë@x.test 5.6.7 #1"}
	if !slices.Equal(got, wantEv) {
		t.Errorf("sink.reply events (column recipient, payload recipient, enhanced, attempt):\n got %q\nwant %q\n(a refusal filed under ok5@x.test or first@x.test makes their pages show them refused)", got, wantEv)
	}

	// The attempts: each refused address is an attempt of its own, found
	// by its text (relaylab expect {match: "zoë@x.test", last_code: 553});
	// the accepted ones only have their 250.
	atts := queryRows(t, db, `SELECT sender || '>' || recipient, '#' || attempt, code FROM sink_attempts ORDER BY id`)
	wantAtt := []string{
		"app5@shop.test>ok5@x.test #1 250",
		"app5@shop.test>a..b@x.test #1 553",
		"app5@shop.test>c@b..test #1 553",
		"app@shop.test>first@x.test #1 250",
		"app2@shop.test>zoë@x.test #1 553",
	}
	if !slices.Equal(atts, wantAtt) {
		t.Errorf("attempts:\n got %q\nwant %q", atts, wantAtt)
	}
}

// An address that is no text to keep (a control character in it) is
// refused without an attempt, and its reply is filed under it escaped,
// not under the recipient before.
func TestUnstorableRefusalNotFiledUnderAnother(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	codes, lines := pipelined(t, addr, "EHLO a.test\r\nMAIL FROM:<app@shop.test>\r\nRCPT TO:<ok@x.test>\r\nRCPT TO:<b\x01c@x.test>\r\nQUIT\r\n")
	if want := []int{220, 250, 250, 250, 553, 221}; !slices.Equal(codes, want) {
		t.Fatalf("replies %v %q, want codes %v", codes, lines, want)
	}
	waitSessions(t, st, 1)
	var rcpt string
	if err := st.DB().QueryRow(`SELECT json_extract(payload, '$.recipient') FROM events WHERE kind = 'sink.reply'`).Scan(&rcpt); err != nil {
		t.Fatal(err)
	}
	if rcpt != `b\x01c@x.test` {
		t.Errorf("the 553's event names %q, want the refused address escaped, %q", rcpt, `b\x01c@x.test`)
	}
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_attempts WHERE code = 553`); n != 0 {
		t.Errorf("%d attempts recorded for an address with a control character, want none", n)
	}
}

// queryRows runs query and gives each row its columns' text joined by
// spaces, for a comparison with the rows wanted.
func queryRows(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join(vals, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
