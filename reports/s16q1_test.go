package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestS16Q1UnquotedNumbersKeepTheirText: an expectation's text key
// written without quotes that YAML reads as a number keeps the text the
// file gave it. dsn_status: 5.10 was the float 5.1, so "5.1", which
// passed against a DSN of 5.1.10; 5.0 was "5", which took any 5.x.x;
// name: 1.10 named the verdict "1.1".
func TestS16Q1UnquotedNumbersKeepTheirText(t *testing.T) {
	t.Parallel()
	x, err := decodeExp(t, "recipients:\n  - {name: 1.10, match: a@x.test, dsn_status: 5.10}\n  - {match: b@x.test, dsn_status: 5.0, last_code: 451}\n")
	if err != nil {
		t.Fatal(err)
	}
	r0, r1 := x.Recipients[0], x.Recipients[1]
	if r0.Name != "1.10" || r0.DSNStatus != "5.10" || r1.DSNStatus != "5.0" || r1.LastCode != "451" {
		t.Errorf("name %q, dsn_status %q and %q, last_code %q; want 1.10, 5.10, 5.0 and 451 as written", r0.Name, r0.DSNStatus, r1.DSNStatus, r1.LastCode)
	}
	d := &Data{Recipients: []*Recipient{
		{Address: "a@x.test", Status: "bounced", DSN: true, DSNStatus: "5.1.10"},
		{Address: "b@x.test", Status: "bounced", DSN: true, DSNStatus: "5.7.1", Attempts: []Attempt{{Code: 451}}},
	}}
	for i, res := range Evaluate(d, x) {
		if res.Pass {
			t.Errorf("expectation %d (%s) passed against DSN %s: want it failed", i, res.Name, d.Recipients[i].DSNStatus)
		}
	}
}

// dsnAggLog is a replay's record: msg-1 to a@x.test, delivered after
// 10 minutes, and msg-2 to b@x.test, bounced at once, with the relay's
// DSN (queue id a0, which sorts before the others) delivered to the
// sender at once. The sink's listener had a free port.
func dsnAggLog() fakeLog {
	var l fakeLog
	add := func(min int, kind, msg, rcpt string, p map[string]any) {
		l = append(l, events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: msg, Recipient: rcpt}.WithPayload(p))
	}
	add(0, events.RelayQueued, "m1", "a@x.test", map[string]any{"message_id": ScenarioMessageID("s", 1, t0.UnixNano())})
	add(0, events.RelayQueued, "m2", "b@x.test", map[string]any{"message_id": ScenarioMessageID("s", 2, t0.UnixNano())})
	add(0, events.RelayAttempt, "m2", "b@x.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1:39871", "code": 550, "enhanced": "5.1.1", "text": "no such user"})
	add(0, events.RelayBounced, "m2", "b@x.test", map[string]any{"category": "invalid-recipient", "reason": "the mailbox does not exist"})
	add(0, events.RelayDSN, "m2", "b@x.test", map[string]any{"status": "5.1.1", "action": "failed", "to": "news@shop.test", "dsn_message": "a0"})
	add(0, events.RelayQueued, "a0", "news@shop.test", map[string]any{"dsn_for": "m2"})
	add(0, events.RelayAttempt, "a0", "news@shop.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1:39871", "code": 250, "enhanced": "2.0.0", "text": "ok"})
	add(0, events.RelayDelivered, "a0", "news@shop.test", map[string]any{})
	add(10, events.RelayAttempt, "m1", "a@x.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1:39871", "code": 250, "enhanced": "2.0.0", "text": "ok"})
	add(10, events.RelayDelivered, "m1", "a@x.test", map[string]any{})
	return l
}

// TestS16Q1AggregatesTellTheRelaysDSNsApart: the times to delivery judge
// the messages' own recipients, not the relay's DSNs to their senders
// (p50 was 0s from the DSN while the one real delivery took 10 minutes);
// delivered_share still counts the DSNs, as the README says, and its
// failure says how many of each; max_deliveries_per_day counts them too
// (the path sent them) and says which are DSNs, rather than naming the
// sender as if its own mail had been delivered.
func TestS16Q1AggregatesTellTheRelaysDSNsApart(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), dsnAggLog())
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, "aggregate: {time_to_delivery_p50: 5m, time_to_delivery_p99: 5m, delivered_share: 1, max_deliveries_per_day: [1]}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"aggregate time_to_delivery_p50":   "expected time_to_delivery_p50 at most 5m0s, got 10m0s over 1 delivered recipient (the relay's 1 DSN to the senders left out)",
		"aggregate time_to_delivery_p99":   "expected time_to_delivery_p99 at most 5m0s, got 10m0s over 1 delivered recipient (the relay's 1 DSN to the senders left out)",
		"aggregate delivered_share":        "expected at least 100.0% delivered, got 66.7% (2 of 3 recipients: 1 of the 2 the messages were sent to, and 1 of the relay's 1 DSN to their senders, which count as recipients too); not delivered: b@x.test (message msg-2 (queue id m2)): bounced (invalid-recipient), last reply \"550 5.1.1 no such user\"",
		"aggregate max_deliveries_per_day": "day 1 (2026-05-01 UTC) had 2 deliveries (1 of them the relay's DSN to a sender, which the path sent as well), expected at most 1: a@x.test, news@shop.test (the relay's DSN relay-1 to the sender)",
	}
	res := Evaluate(d, x)
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(res), len(want), res)
	}
	for _, r := range res {
		if r.Pass || r.Message != want[r.Name] {
			t.Errorf("%s: pass %v, message:\n%s\nwant it failed with:\n%s", r.Name, r.Pass, r.Message, want[r.Name])
		}
	}
	// Without DSNs the failures read as before.
	own := &Data{Recipients: []*Recipient{d.Recipients[0]}}
	for _, r := range Evaluate(own, x) {
		if r.Name == "aggregate time_to_delivery_p50" && r.Message != "expected time_to_delivery_p50 at most 5m0s, got 10m0s over 1 delivered recipient" {
			t.Errorf("without DSNs: %q", r.Message)
		}
	}
}

// TestS16Q1ReportNamesTheRelaysDSNs: on a replay's store, report names
// the relay's DSNs as the verdicts do (relay-1, with the scenario), in
// JSON and CSV, after the scenario's messages queued at the same
// instant, and shows the replay's sink without the free port it
// happened to get, as the verdicts do. The DSN's scenario_message was
// null and its host 127.0.0.1:39871.
func TestS16Q1ReportNamesTheRelaysDSNs(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), dsnAggLog())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d.Recipients {
		got = append(got, r.ScenarioMessage+" "+r.Scenario+" "+r.Address)
		for _, a := range r.Attempts {
			if a.Host != "127.0.0.1" {
				t.Errorf("%s: host %q, want 127.0.0.1 as the verdicts show it", r.Address, a.Host)
			}
		}
	}
	if want := "msg-1 s a@x.test|msg-2 s b@x.test|relay-1 s news@shop.test"; strings.Join(got, "|") != want {
		t.Errorf("recipients %q, want %q", strings.Join(got, "|"), want)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, d); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if last := rows[len(rows)-1]; last[1] != "news@shop.test" || last[14] != "relay-1" || last[15] != "s" {
		t.Errorf("CSV row %q: want news@shop.test with scenario_message relay-1 of scenario s", last)
	}
	if r := d.Recipients[2]; !r.relayDSN || d.Recipients[0].relayDSN {
		t.Errorf("relayDSN: %v for the DSN, %v for msg-1; want true and false", r.relayDSN, d.Recipients[0].relayDSN)
	}
}

// TestS16Q1SuggestOnlyNearMisses: a match that finds no recipient is
// offered the closest address only when it is a slip of a few
// characters: "nobody@nowhere.test" got "did you mean
// defer2+ci1@example.test?".
func TestS16Q1SuggestOnlyNearMisses(t *testing.T) {
	t.Parallel()
	d := &Data{Recipients: []*Recipient{{Address: "defer2+ci1@example.test", Status: "delivered"}}}
	for _, tc := range []struct{ match, want string }{
		{"nobody@nowhere.test", ""},
		{"defer2+ci1@exmaple.test", `did you mean "defer2+ci1@example.test"?`},
		{"defer2+ci*@example.tst", `did you mean "defer2+ci1@example.test"?`},
		{"x@example.test", ""},
	} {
		msg := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: tc.match}}})[0].Message
		if tc.want == "" && strings.Contains(msg, "did you mean") || tc.want != "" && !strings.Contains(msg, tc.want) {
			t.Errorf("match %q: %q; want a suggestion %q", tc.match, msg, tc.want)
		}
	}
}
