package sink

import (
	"testing"
)

// TestLocalPartSyntax: a local part that is no Dot-string as written (a
// leading or trailing dot, two dots in a row, an unquoted '@') is refused
// at MAIL and RCPT, as the domain is, naming the fault, where go-smtp's
// parse let it through to a 250 (and the sink's echo quoted "a@" as if the
// client had); quoted, the same local part is taken and echoed quoted.
func TestLocalPartSyntax(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"unquoted @ in the sender", []step{{"MAIL FROM:<a@@shop.test>", 553, `5.1.7 Bad sender address syntax: the local part "a@" has '@': RFC 5321 4.1.2 allows that only within double quotes, as in "a@"@shop.test; check the address`}}},
		{"two dots in the recipient", []step{{"MAIL FROM:<a@shop.test>", 250, ""}, {"RCPT TO:<x..y@example.test>", 553, `5.1.3 Bad recipient address syntax: the local part "x..y" has two dots in a row: RFC 5321 4.1.2 allows that only within double quotes, as in "x..y"@example.test`}}},
		{"leading dot", []step{{"MAIL FROM:<a@shop.test>", 250, ""}, {"RCPT TO:<.x@example.test>", 553, `5.1.3 Bad recipient address syntax: the local part ".x" starts with a dot`}}},
		{"trailing dot, sender", []step{{"MAIL FROM:<a.@shop.test>", 553, `5.1.7 Bad sender address syntax: the local part "a." ends with a dot`}}},
		{"leading dot after a source route", []step{{"MAIL FROM:<a@shop.test>", 250, ""}, {"RCPT TO:<@r.test:.x@example.test>", 553, `5.1.3 Bad recipient address syntax: the local part ".x" starts with a dot`}}},
		{"quoted ones stay", []step{
			{`MAIL FROM:<"a@"@shop.test>`, 250, `2.1.0 Sender <"a@"@shop.test> OK`},
			{`RCPT TO:<"x..y"@example.test>`, 250, `2.1.5 Recipient <"x..y"@example.test> OK`},
			{`RCPT TO: <".x"@example.test>`, 250, `2.1.5 Recipient <".x"@example.test> OK`},
			{`RCPT TO:<@r.test:"y."@example.test>`, 250, `2.1.5 Recipient <"y."@example.test> OK`},
			{`RCPT TO:<"plain"@example.test>`, 250, `2.1.5 Recipient <plain@example.test> OK`},
		}},
		{"good ones stay", []step{
			{"MAIL FROM:<a.b+c@shop.test>", 250, "Sender <a.b+c@shop.test> OK"},
			{"RCPT TO:<x.y!#$%&'*=?^_`{|}~-/@example.test>", 250, ""},
			{"RCPT TO:<Postmaster>", 250, ""},
			{"RCPT TO:<x@[192.0.2.1]>", 250, ""},
		}},
		{"null sender stays", []step{{"MAIL FROM:<>", 250, ""}}},
		// go-smtp refuses "" as a syntax error; the sink says what is wrong
		// with it where it said the address lacked angle brackets.
		{"empty quoted sender", []step{{`MAIL FROM:<""@shop.test>`, 553, `5.1.7 Bad sender address syntax: the local part is empty ("" before the @)`}}},
		{"empty quoted recipient", []step{{"MAIL FROM:<a@shop.test>", 250, ""}, {`RCPT TO:<""@example.test>`, 553, `5.1.3 Bad recipient address syntax: the local part is empty ("" before the @)`}, {`RCPT TO:<"" @example.test>`, 501, "angle brackets"}}},
		{"UTF-8 local part stays", []step{{"MAIL FROM:<j\xc3\xb6rg@shop.test> SMTPUTF8", 250, ""}, {"RCPT TO:<\xc3\xa9.x@example.test>", 250, ""}, {"RCPT TO:<\xc3\xa9..x@example.test>", 553, "two dots in a row"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, addr, tc.steps)
		})
	}
}

// TestLocalFaultNoAllocation: the check costs a valid address nothing but
// a scan (it runs on every MAIL and RCPT).
func TestLocalFaultNoAllocation(t *testing.T) {
	cmd := &pendingCmd{}
	if n := testing.AllocsPerRun(100, func() {
		if localFault("first.last+tag@example.test", cmd) != "" {
			t.Fatal("a valid local part refused")
		}
	}); n != 0 {
		t.Errorf("%v allocations for a valid address, want 0", n)
	}
}

func TestPathQuoted(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]bool{
		`MAIL FROM:<"a"@x>`:          true,
		`MAIL FROM: <"a"@x> SIZE=1`:  true,
		`RCPT TO:<@r.test,@s:"a"@x>`: true,
		`RCPT TO:<a@x>`:              false,
		`RCPT TO:<a"b"@x>`:           false,
		`MAIL FROM:<>`:               false,
		`MAIL FROM:`:                 false,
		`RCPT`:                       false,
	} {
		if got, _ := pathQuoted([]byte(line)); got != want {
			t.Errorf("pathQuoted(%q) = %v, want %v", line, got, want)
		}
	}
}
