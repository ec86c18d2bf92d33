package reports

import (
	"fmt"
	"slices"
	"strings"
)

// noteSenders gives each record of a sink's d whose address is a
// message's sender what a sender_dsn written on it is about: the
// addresses whose records the DSNs from the sender's MTA that came to
// this address report on (dsnsAbout), and the addresses of the records
// this address sent (sentFor). The DSN mail itself is such a record: the
// sink accepted it for the sender's address.
func (d *Data) noteSenders() {
	byAddr := map[string][]*Recipient{}
	for _, r := range d.Recipients {
		k := strings.ToLower(r.Address)
		byAddr[k] = append(byAddr[k], r)
	}
	add := func(list []string, addr string) []string {
		if slices.ContainsFunc(list, func(a string) bool { return strings.EqualFold(a, addr) }) {
			return list
		}
		return append(list, addr)
	}
	for _, about := range d.Recipients {
		for _, x := range about.SenderDSNs {
			for _, r := range byAddr[strings.ToLower(x.To)] {
				r.dsnsAbout = add(r.dsnsAbout, about.Address)
			}
		}
		if about.dsnMail() || about.from == "" {
			continue
		}
		for _, r := range byAddr[strings.ToLower(about.from)] {
			if r != about {
				r.sentFor = add(r.sentFor, about.Address)
			}
		}
	}
}

// senderDSNPlace says, of a sender_dsn expectation that r, a record of
// a message's sender, does not meet, that sender_dsn judges the DSNs
// about a recipient, which the sender's MTA sends to the sender: it goes
// on the expectation of the recipient the DSN reports on, which it
// names. "" for a record of any other address.
func senderDSNPlace(r *Recipient, e RecipientExpectation) string {
	about, what := r.dsnsAbout, ""
	switch {
	case len(about) > 0:
		what = fmt.Sprintf("%s is where the sender's MTA sent its DSNs, and the sink holds %s to it, about %s",
			r.Address, plural(len(about), "one", "some"), joinAnd(quoteAll(about, 4)))
	case r.SenderDSNMail:
		what = "this record is itself a DSN the sender's MTA sent to " + r.Address
	case r.SinkDSNMail:
		what = "this record is itself the sink's own late bounce to " + r.Address + ", come back to the sink (dsn and dsn_status judge it, on the record it bounced)"
	case len(r.sentFor) > 0:
		about = r.sentFor
		what = fmt.Sprintf("%s is the sender of the mail to %s, and the sender's MTA sends its DSNs about those recipients here", r.Address, joinAnd(quoteAll(about, 4)))
	default:
		return ""
	}
	want := "sender_dsn: " + e.SenderDSN
	if e.SenderDSN == "" || e.SenderDSN == "none" {
		want = fmt.Sprintf("sender_dsn_status: %q", e.SenderDSNStatus)
	}
	example := ""
	if len(about) > 0 {
		example = fmt.Sprintf(", such as {match: %q, %s}", about[0], want)
	}
	return fmt.Sprintf(" (%s: sender_dsn judges the DSNs about a recipient, not those sent to an address, so it goes on the expectation of the recipient the DSN reports on%s; here, expect status: delivered if the DSN must reach the sender)", what, example)
}

// quoteAll is the first n of addrs, quoted, and "N more" for the rest.
func quoteAll(addrs []string, n int) []string {
	var out []string
	for i, a := range addrs {
		if i == n {
			return append(out, fmt.Sprintf("%d more", len(addrs)-n))
		}
		out = append(out, fmt.Sprintf("%q", a))
	}
	return out
}
