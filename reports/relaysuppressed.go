package reports

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/mailaddr"
)

// Suppression is an entry of the relay's suppression list as expect reads
// it (from a serve's store, or its API's /api/v1/suppressions).
type Suppression struct {
	Address string
	Reason  string
	Since   time.Time
}

// suppressedAddr is what the relay's suppression list did to the mail of
// one address, on a sink's record: messages the relay did not send, which
// the sink therefore never saw.
type suppressedAddr struct {
	address     string
	n           int       // the relay's recipients of the address it suppressed
	first, last time.Time // when it suppressed the first and the last
	reason      string    // why, as the relay said of the last
	// entry is the address's entry on the list as it is now; nil when it
	// is no longer on it (listKnown) or the list could not be read.
	entry     *Suppression
	listKnown bool
}

// stops reports whether the list still stops the address's mail: it is
// on the list now, or the list could not be read (the relay's record is
// all there is to go by).
func (s *suppressedAddr) stops() bool { return s.entry != nil || !s.listKnown }

// AddRelaySuppressions notes on d, a sink's record (FromSink), the
// recipients that rel, the relay's record of the same store (a relaylab
// serve's), suppressed: the relay sent them nowhere, so the sink has no
// record of them. Against a store that earlier runs used, an expectation
// of such an address then judges the sink's records of the earlier sends
// (and passes on them), or finds none once the sink's records are
// cleared; its verdict says why (NewVerdict), and expect --wait does not
// wait for records that cannot come (SuppressedFor). list is the
// suppression list as it is now, for since when and why each address is
// on it; listKnown false when it could not be read.
func (d *Data) AddRelaySuppressions(rel *Data, list []Suppression, listKnown bool) {
	if rel == nil {
		return
	}
	entries := map[string]*Suppression{}
	for i := range list {
		entries[mailaddr.Key(list[i].Address)] = &list[i]
	}
	for _, r := range rel.Recipients {
		if r.Status != "suppressed" || len(r.Attempts) > 0 {
			continue // a recipient tried, then suppressed, reached the sink
		}
		k := mailaddr.Key(r.Address)
		if d.suppressed == nil {
			d.suppressed = map[string]*suppressedAddr{}
		}
		s := d.suppressed[k]
		if s == nil {
			s = &suppressedAddr{address: r.Address, entry: entries[k], listKnown: listKnown}
			d.suppressed[k] = s
		}
		s.n++
		if s.first.IsZero() || r.Done.Before(s.first) {
			s.first = r.Done
		}
		if !r.Done.Before(s.last) {
			s.last, s.reason = r.Done, strings.TrimPrefix(r.Reason, "the address is on the suppression list: ")
		}
	}
}

// suppressedMatching are the addresses of d's relay suppressions (see
// AddRelaySuppressions) that match, in address order.
func (d *Data) suppressedMatching(match string) []*suppressedAddr {
	var out []*suppressedAddr
	for _, s := range d.suppressed {
		if MatchAddress(match, s.address) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *suppressedAddr) int { return strings.Compare(a.address, b.address) })
	return out
}

// SuppressedFor is how many of the relay's messages to addresses that
// match the relay suppressed while the list still stops those addresses:
// records of them will never reach the sink, so expect --wait does not
// wait for them.
func (d *Data) SuppressedFor(match string) int {
	n := 0
	for _, s := range d.suppressedMatching(match) {
		if s.stops() {
			n += s.n
		}
	}
	return n
}

// suppressedRef says, in a few words, of an expectation's failure that
// the relay suppressed mail to the addresses ss, which the verdict's note
// tells in full (suppressedNote).
func suppressedRef(ss []*suppressedAddr) string {
	var parts []string
	n := 0
	for _, s := range ss {
		n += s.n
		parts = append(parts, s.address)
	}
	return fmt.Sprintf("the relay did not send %s to %s: %s on its suppression list, so the sink has no record of %s (see the note)",
		counted(n, "message"), strings.Join(parts, ", "), plural(len(ss), "the address is", "the addresses are"), plural(n, "it", "them"))
}

// suppressedNote is the verdict's note on s: how many of the relay's
// messages to the address it did not send, since when and why the
// address is on the list, and what to do.
func suppressedNote(s *suppressedAddr) string {
	when := "at " + s.last.UTC().Format(time.RFC3339)
	if s.n > 1 {
		when = "from " + s.first.UTC().Format(time.RFC3339) + " to " + s.last.UTC().Format(time.RFC3339)
	}
	head := fmt.Sprintf("relay: %s to %s %s not sent (%s): the address is on the relay's suppression list", counted(s.n, "message"), s.address, wasWere(s.n), when)
	switch {
	case s.entry != nil:
		head += " since " + s.entry.Since.UTC().Format(time.RFC3339) + ": " + s.entry.Reason
	case s.reason != "":
		head += ": " + s.reason
	}
	if s.listKnown && s.entry == nil {
		return head + "; it has been taken off the list since, so messages sent to it now go out"
	}
	return head + "; the sink has no record of " + plural(s.n, "that message", "those messages") +
		", so an expectation of the address judges the sink's records of earlier sends (a store an earlier run used), or finds none: " +
		"to send to it again, take it off the list (relaylab suppress remove " + s.address + ", or DELETE /api/v1/suppressions/" + url.PathEscape(s.address) +
		" on the serve, or Remove under Suppression list at the foot of its web UI's Queue page), or clear the list for a clean slate (relaylab suppress clear), or give each run's addresses a tag of their own (a run id after the +) so that no run meets what an earlier one left"
}

// suppressedNotes are the notes of a verdict on d for the relay's
// suppressions that results' expectations matched, once each.
func (d *Data) suppressedNotes(results []Result) []string {
	var out []string
	seen := map[*suppressedAddr]bool{}
	for _, res := range results {
		for _, s := range res.suppressed {
			if !seen[s] {
				seen[s] = true
				out = append(out, suppressedNote(s))
			}
		}
	}
	return out
}
