package scenario

import (
	"strings"
	"testing"
)

// TestS18EveryBadValue: values that fail as the file is read (a count of
// words, a fraction, a size with a unit it does not know, headers as one
// string, a to: that is not a list, a duration without its unit, ranges,
// globs and toggles that their types refuse) are each named at their line, column and key
// in one reading, with the problems the later checks find, where the
// first of them hid every other. A value set aside reads as its key left
// out, which no later check refuses again. A list written as one value
// in a {...} mapping is told to go in brackets, not on lines of its own,
// which the mapping cannot hold.
func TestS18EveryBadValue(t *testing.T) {
	t.Parallel()
	data := `name: all
seed: 1
clock: {limit: 5x}
messages:
  - {from: a@shop.test, to: ["ok@example.test"], count: "three", every: 1h}
  - {from: a@shop.test, to: ["ok2@example.test"], size: 10MBs}
  - {from: a@shop.test, to: ["ok3@example.test"], headers: "X-A: b"}
  - {from: a@shop.test, to: "ok4@example.test"}
  - {from: a@shop.test, to: ["ok5@example.test"], count: 1.5}
  - {from: "bad address", to: ["ok6@example.test"]}
expect:
  recipients:
    - {match: "ok@example.test", status: delivered, last_reply: ""}
    - {match: "ok2@example.test", tls: yes}
    - {match: "ok3@example.test", count: "three"}
    - {match: "ok4@example.test", count: 1.5, suppressed: maybe}
    - {match: "ok5@example.test", attempts: many}
    - {match: "ok6@example.test", status: bogus}
  aggregate: {delivered_share: high, max_concurrent_per_destination: 2.5}
`
	_, err := Parse("all.yaml", []byte(data))
	want := strings.Join([]string{
		`all.yaml:3:16: clock.limit: bad duration "5x": want a duration like 30s, 5m, 1h30m or 5d`,
		`all.yaml:5:57: messages[0].count: want a whole number, got "three"`,
		`all.yaml:6:57: messages[1].size: "10MBs": unknown unit "MBs"; want a whole number of octets, or one and a unit, as 2000, 10KB or 25MiB: B, KB, MB, GB (1000, 1000², 1000³) or KiB, MiB, GiB (1024, 1024², 1024³), in any case`,
		`all.yaml:7:60: messages[2].headers: want a mapping of keys to values (key: value), got "X-A: b"`,
		`all.yaml:8:29: messages[3].to: want a list, which in a {...} mapping is written in brackets, as in to: ["ok4@example.test"], got "ok4@example.test"`,
		`all.yaml:9:58: messages[4].count: want a whole number, got 1.5`,
		`all.yaml:10:12: messages[5].from: "bad address" is not an address (local@domain, without brackets or spaces; leave it out for the null sender <>)`,
		`all.yaml:13:65: expect.recipients[0].last_reply: an empty glob matches no reply: give one such as "421 4.7.28 *", or leave the key out`,
		`all.yaml:14:40: expect.recipients[1].tls: "yes": want true or false`,
		`all.yaml:15:42: expect.recipients[2].count: bad range "three": want N, N-M, N- (N or more), >=N or <=N`,
		`all.yaml:16:42: expect.recipients[3].count: bad range "1.5": want N, N-M, N- (N or more), >=N or <=N`,
		`all.yaml:16:59: expect.recipients[3].suppressed: want true or false, got "maybe"`,
		`all.yaml:17:45: expect.recipients[4].attempts: bad range "many": want N, N-M, N- (N or more), >=N or <=N`,
		`all.yaml:18:43: expect.recipients[5].status: "bogus" is not a status: want delivered, bounced, expired, suppressed, deferred or queued`,
		`all.yaml:19:32: expect.aggregate.delivered_share: "high" is not a share: write 1 for all, or 0.95 (or "95%") for 95%`,
		`all.yaml:19:70: expect.aggregate.max_concurrent_per_destination: want a whole number, got 2.5`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	// An unknown key still stops at the first, as the decoder reports it.
	_, err = Parse("u.yaml", []byte("name: u\nmessages:\n  - {from: a@shop.test, to: [a@x.test], count: two, bogus: 1}\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown field "bogus"`) {
		t.Errorf("unknown key beside a bad value: %v", err)
	}
}
