package scenario

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/reports"
)

// submitted is one message the replay submits: the index in Messages of
// its spec, its number in the spec's count (for {n}), and when it is
// submitted, from the start.
type submitted struct {
	spec, n int
	at      time.Duration
}

// submitOrder is every message the replay submits, in the order it does:
// by time, then as messages: lists them. The k-th (from 0) is the one the
// verdicts call msg-(k+1).
func (sc *Scenario) submitOrder() []submitted {
	var out []submitted
	for i, m := range sc.Messages {
		for n := 1; n <= specCount(m); n++ {
			out = append(out, submitted{spec: i, n: n, at: m.At.D() + time.Duration(n-1)*m.Every.D()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// specCount is how many messages m stands for.
func specCount(m MessageSpec) int {
	if m.Count != nil {
		return *m.Count
	}
	return 1
}

// checkMessageName refuses a message: that names none of the scenario's
// messages (msg-1 to msg-N, N the messages it submits) nor a DSN the
// relay writes (relay-1, ...; how many is known only at the end): the
// expectation would find 0 recipients, as a match that meets no address
// would.
func (sc *Scenario) checkMessageName(key string, r reports.RecipientExpectation) error {
	if r.Message == "" {
		return nil
	}
	total := 0
	for _, m := range sc.Messages {
		total += specCount(m)
	}
	if messageNamed(r.Message, total) {
		return sc.checkMessageSends(key, r)
	}
	names := "its one message is msg-1"
	if total == 2 {
		names = "its messages are msg-1 and msg-2, numbered in the order they are submitted (by at:, then as messages: lists them)"
	} else if total > 2 {
		names = fmt.Sprintf("its messages are msg-1 to msg-%d, numbered in the order they are submitted (by at:, then as messages: lists them)", total)
	}
	return config.Errorf(key+".message", "%q names no message of the scenario, so the expectation would find 0 recipients: %s, and the relay's own DSNs are relay-1, relay-2 and on (to assert that no recipient matches, give count: 0)", r.Message, names)
}

// checkMessageSends refuses a message: whose messages send to none of the
// addresses the match takes: the expectation would find 0 recipients, as
// with a message: that names no message. A glob that can name one of the
// relay's DSNs (relay-1, ...; "*") is left alone: those go to senders.
func (sc *Scenario) checkMessageSends(key string, r reports.RecipientExpectation) error {
	if strings.HasPrefix(r.Message, "relay-") || reports.Glob(r.Message, "relay-1") {
		return nil
	}
	glob := strings.ToLower(r.Match)
	var named, sent, others []string
	for i, s := range sc.submitOrder() {
		name := "msg-" + strconv.Itoa(i+1)
		hit := false
		var to []string
		for _, a := range sc.Messages[s.spec].To {
			addr := expandN(a, s.n)
			to = append(to, addr)
			hit = hit || reports.MatchAddress(glob, addr)
		}
		if !reports.Glob(r.Message, name) {
			if hit {
				others = append(others, name)
			}
			continue
		}
		if hit {
			return nil
		}
		named = append(named, name)
		for _, a := range to {
			if !slices.Contains(sent, a) {
				sent = append(sent, a)
			}
		}
	}
	who := listOf(named, "and")
	if len(named) != 1 || named[0] != r.Message {
		who = fmt.Sprintf("%q names %s, which", r.Message, who)
	}
	msg := fmt.Sprintf("%s %s to none of the addresses %q matches (%s to %s), so the expectation would find 0 recipients", who, plural(len(named), "sends", "send"), r.Match, plural(len(named), "it sends", "they send"), listOf(sent, "and"))
	if len(others) > 0 {
		msg += fmt.Sprintf("; %s %s: did you mean message: %s?", listOf(others, "and"), plural(len(others), "does", "do"), others[0])
	}
	return config.Errorf(key+".message", "%s (to assert that no recipient matches, give count: 0)", msg)
}

// listOf joins the first four of items with commas and, before the
// last, word: "a, b and c", "a, b, c, d and 3 more".
func listOf(items []string, word string) string {
	const shown = 4
	if len(items) > shown {
		items = append(items[:shown:shown], fmt.Sprintf("%d more", len(items)-shown))
	}
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + word + " " + items[len(items)-1]
}

// plural is one for a count of 1, many for any other.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// messageNamed reports whether the glob names one of msg-1 to msg-total,
// or could name a DSN of the relay's.
func messageNamed(glob string, total int) bool {
	if strings.HasPrefix(glob, "relay-") || reports.Glob(glob, "relay-1") {
		return true
	}
	if !strings.ContainsAny(glob, "*?") {
		rest, ok := strings.CutPrefix(glob, "msg-")
		k, err := strconv.Atoi(rest)
		return ok && err == nil && strconv.Itoa(k) == rest && k >= 1 && k <= total
	}
	for k := 1; k <= total; k++ {
		if reports.Glob(glob, "msg-"+strconv.Itoa(k)) {
			return true
		}
	}
	return false
}

// checkNullSender refuses an expectation of a DSN (dsn: sent, or a
// dsn_status) that matches a recipient of a message without from:, sent
// with the null sender <>: no DSN is ever sent to <> (RFC 5321 4.5.5,
// RFC 3461), neither by the relay nor by the sink's late bounces, so the
// expectation could only fail, saying that none was sent.
func (sc *Scenario) checkNullSender(key string, r reports.RecipientExpectation) error {
	if r.DSN != "sent" && r.DSNStatus == "" {
		return nil
	}
	k := key + ".dsn"
	if r.DSN != "sent" {
		k = key + ".dsn_status"
	}
	named := func(spec, n int) bool { return true }
	if r.Message != "" {
		in := map[[2]int]bool{}
		for i, s := range sc.submitOrder() {
			if reports.Glob(r.Message, "msg-"+strconv.Itoa(i+1)) {
				in[[2]int{s.spec, s.n}] = true
			}
		}
		named = func(spec, n int) bool { return in[[2]int{spec, n}] }
	}
	glob := strings.ToLower(r.Match)
	for i, m := range sc.Messages {
		if m.From != "" {
			continue
		}
		for _, to := range m.To {
			for n := 1; n <= specCount(m); n++ {
				addr := expandN(to, n)
				if !reports.MatchAddress(glob, addr) || !named(i, n) {
					continue
				}
				return config.Errorf(k, "asks for a DSN about %s, but messages[%d], which sends to it, has no from: and so goes out with the null sender <>, to which no DSN is ever sent (RFC 5321 4.5.5, RFC 3461): the expectation could never hold; give messages[%d] a from: address, or expect dsn: none", addr, i, i)
			}
		}
	}
	return nil
}
