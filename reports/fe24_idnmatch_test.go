package reports

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestMatchFindsEitherIDNSpelling: a sender may write an IDN in U-labels
// (with SMTPUTF8) or in A-labels, and the sink records what it was sent;
// expect's match: "x@bücher.test" found no record written
// x@xn--bcher-kva.test, nor the other way round. Both are compared in
// one form (lower case, A-labels), globs included.
func TestMatchFindsEitherIDNSpelling(t *testing.T) {
	t.Parallel()
	at := func(min int, rcpt string) SinkMessageAttempt {
		return SinkMessageAttempt{Message: int64(min + 1), SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(min) * time.Minute), Listener: "mx", Client: "127.0.0.1:1",
			Sender: "app@qa.test", Recipient: rcpt, Stage: "data-end", Code: 250}}
	}
	d, err := FromSink(context.Background(), fakeMessageSink{at(0, "x@xn--bcher-kva.test"), at(1, "y@bücher.test"), at(2, "z@plain.test")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		match string
		count string
	}{
		{"x@bücher.test", "1"},
		{"X@BÜCHER.TEST", "1"},
		{"y@xn--bcher-kva.test", "1"},
		{"y@XN--BCHER-KVA.test", "1"},
		{"*@bücher.test", "2"},
		{"?@xn--bcher-kva.test", "2"},
		{"*@*.bücher.test", "0"},
		{"*@*ücher.test", "1"}, // y@bücher.test as written
		{"*@b*.test", "1"},     // y@bücher.test as written
		{"*@xn--*.test", "2"},
	} {
		n, err := ParseRange(c.count)
		if err != nil {
			t.Fatal(err)
		}
		res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: c.match, Count: n}}})
		if !res[0].Pass {
			t.Errorf("match %q: want %s records: %s", c.match, c.count, res[0].Message)
		}
	}
	// A slip in a U-label domain is suggested the address as recorded.
	res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "x@bücher.tset"}}})
	if want := `found 0 (did you mean "x@xn--bcher-kva.test"?)`; !strings.Contains(res[0].Message, want) {
		t.Errorf("a slip in an IDN: the failure lacks %q:\n%s", want, res[0].Message)
	}
	for _, c := range []struct {
		glob, addr string
		want       bool
	}{
		{"ok@bücher.test", "OK@xn--bcher-kva.TEST", true},
		{"ok@xn--bcher-kva.test", "ok@Bücher.test", true},
		{"ok@bücher.test", "ok@bucher.test", false},
		{"ok@*.bücher.test", "ok@mx.xn--bcher-kva.test", true},
		{"ok@*.münchen.test", "ok@a.xn--mnchen-3ya.test", true},
		{"ök@x.test", "ök@x.test", true}, // a local part is compared as written
	} {
		if got := MatchAddress(c.glob, c.addr); got != c.want {
			t.Errorf("MatchAddress(%q, %q) = %v, want %v", c.glob, c.addr, got, c.want)
		}
	}
}

// TestSenderDSNTiedAcrossIDNSpellings: the sender's MTA may name in its
// DSN, in A-labels, a recipient the sink recorded in U-labels (a
// downgrade for a server without SMTPUTF8): the DSN is still tied to
// that record by its address.
func TestSenderDSNTiedAcrossIDNSpellings(t *testing.T) {
	t.Parallel()
	at := func(sec int, rcpt string, code int, msg int64, id string) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, MessageID: id, SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(sec) * time.Second), Listener: "mx",
			Client: "127.0.0.1:1", Sender: "app@s.test", Recipient: rcpt, Stage: "rcpt", Code: code}}
	}
	src := dsnSink{fakeMessageSink: fakeMessageSink{
		at(0, "x@bücher.test", 550, 0, ""),
		{Message: 2, MessageID: "d1@pf", SinkAttempt: SinkAttempt{Time: t0.Add(time.Second), Listener: "mx", Client: "127.0.0.1:1", Recipient: "app@s.test", Stage: "data-end", Code: 250}},
	}, mail: []SinkMailMessage{{Message: 2, Time: t0.Add(time.Second), Recipients: []string{"app@s.test"},
		Raw: senderDSNRaw("d1@pf", "x@xn--bcher-kva.test", "failed", "5.1.1", "550 5.1.1 no such user", "")}}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "x@bücher.test", SenderDSN: "failed"}}})
	if !res[0].Pass {
		t.Errorf("the sender's DSN about x@xn--bcher-kva.test is not tied to the record of x@bücher.test: %s", res[0].Message)
	}
}
