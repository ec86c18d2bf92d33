package probe

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// The notes of this file say what a confirmed change of a DMARC record or
// a DKIM key does to the mail that relies on it: a policy or a key made
// weaker is said plainly, with what to do if it was not meant; one made
// stronger gets a milder note.

// dmarcRank orders the DMARC policies by what they ask of receivers.
var dmarcRank = map[string]int{"none": 0, "quarantine": 1, "reject": 2}

// dmarcEffect is what receivers do with mail that fails DMARC under a
// policy (RFC 7489 6.3 p).
func dmarcEffect(p string) string {
	switch p {
	case "reject":
		return "refuse mail that fails DMARC"
	case "quarantine":
		return "put mail that fails DMARC in spam"
	}
	return "deliver mail that fails DMARC"
}

// dmarcChangeNote says whether a DMARC record's change weakened or
// strengthened what receivers do with mail that fails DMARC: its policy
// (p), its subdomain policy (sp, when either record sets it) and the share
// of failing mail the policy applies to (pct), or its removal. It is ""
// when none of these changed, when old or cur holds several records (the
// note of multiple records says what that means) or does not parse (its
// findings say why).
func dmarcChangeNote(old, cur string) string {
	if old == "" || strings.Contains(old, " | ") || strings.Contains(cur, " | ") {
		return ""
	}
	o, err := ParseDMARC(old)
	if err != nil {
		return ""
	}
	if cur == "" {
		if o.Policy == "none" {
			return ""
		}
		return fmt.Sprintf("DMARC record removed, with its policy p=%s: receivers will now deliver mail that fails DMARC; %s", o.Policy, restoreAdvice(old))
	}
	n, err := ParseDMARC(cur)
	if err != nil {
		return ""
	}
	var weaker, stronger []string
	step := func(what, from, to, effect string) {
		switch {
		case dmarcRank[to] < dmarcRank[from]:
			weaker = append(weaker, fmt.Sprintf("%s weakened from %s to %s: receivers will now %s", what, from, to, effect))
		case dmarcRank[to] > dmarcRank[from]:
			stronger = append(stronger, fmt.Sprintf("%s strengthened from %s to %s: receivers will now %s", what, from, to, effect))
		}
	}
	step("DMARC policy", o.Policy, n.Policy, dmarcEffect(n.Policy))
	// Without sp, subdomains follow p (RFC 7489 6.3): said apart only
	// when a record sets it.
	if o.SubPolicy != "" || n.SubPolicy != "" {
		osp, nsp := cmp.Or(o.SubPolicy, o.Policy), cmp.Or(n.SubPolicy, n.Policy)
		step("DMARC subdomain policy (sp)", osp, nsp, strings.Replace(dmarcEffect(nsp), "mail that", "mail from subdomains that", 1))
	}
	// RFC 7489 6.6.4: the mail left out of pct gets the next policy down.
	if n.Policy != "none" && n.Pct != o.Pct {
		verb, to := "raised", &stronger
		if n.Pct < o.Pct {
			verb, to = "lowered", &weaker
		}
		s := fmt.Sprintf("DMARC pct %s from %d to %d: receivers will now apply p=%s to %d%% of the mail that fails DMARC", verb, o.Pct, n.Pct, n.Policy, n.Pct)
		if n.Pct < 100 {
			s += " and " + map[string]string{"reject": "put the rest in spam", "quarantine": "deliver the rest"}[n.Policy] + " (RFC 7489 6.6.4)"
		}
		*to = append(*to, s)
	}
	switch {
	case len(weaker) > 0:
		return strings.Join(append(weaker, stronger...), "; ") + "; " + restoreAdvice(old)
	case len(stronger) > 0:
		return strings.Join(stronger, "; ") + "; check in the aggregate reports (rua) that all the mail sent as the domain passes DMARC, or that mail is lost"
	}
	return ""
}

// dmarcDiscardedNote is the note of a DMARC record that went from old to
// none read (cur "") while a record receivers discard is published in its
// place (a dmarc.none finding that quotes it): it was not removed, as
// "record-removed" alone would say, but broken, and the finding says how
// and what to publish. It is "" otherwise.
func dmarcDiscardedNote(old, cur string, fs []Finding) string {
	if cur != "" || old == "" {
		return ""
	}
	i := slices.IndexFunc(fs, func(f Finding) bool { return f.Code == "dmarc.none" && f.Record != "" })
	if i < 0 {
		return ""
	}
	effect := "so no DMARC policy applies"
	if o, err := ParseDMARC(old); err == nil && o.Policy != "none" {
		effect = fmt.Sprintf("so its policy p=%s no longer applies: receivers will now %s", o.Policy, dmarcEffect("none"))
	}
	return fmt.Sprintf("DMARC record not removed but replaced by one that receivers discard (new is empty: none applies), %s; %s", effect, fs[i].Message)
}

// restoreAdvice says how to undo a change that was not meant: publish
// the record it replaced, old, again.
func restoreAdvice(old string) string {
	return fmt.Sprintf("if that was not intended, publish the previous record again: %q", old)
}

// dkimChangeNote says whether a rotated DKIM key of selector got weaker
// (shorter, or revoked with an empty p=) or stronger (longer, or
// published again), or what its removal does. It is "" for keys of
// different types, whose sizes do not compare, for keys of the same size,
// and when old or cur does not parse (its findings say why).
func dkimChangeNote(selector, old, cur string) string {
	if old == "" {
		return ""
	}
	o, err := ParseDKIMKey(old)
	if err != nil {
		return ""
	}
	if cur == "" {
		// A removed key fails signatures as a revoked one does, but it
		// is also how a finished rotation ends: say both.
		if o.Revoked {
			return ""
		}
		return fmt.Sprintf("DKIM key for selector %s removed: receivers find no key for signatures with it (RFC 6376 6.1.2), so mail still signed with %s fails DKIM, and fails DMARC unless SPF passes aligned; if a signer still uses %s, publish the old record again, or move the signer to a selector that has a key; if the rotation away from %s is over, nothing is lost",
			selector, selector, selector, selector)
	}
	n, err := ParseDKIMKey(cur)
	if err != nil {
		return ""
	}
	what := "DKIM key for selector " + selector
	switch {
	case o.Revoked && n.Revoked:
		return ""
	case n.Revoked:
		return fmt.Sprintf("%s revoked (empty p=): every signature with it now fails DKIM, and mail that relied on it for DMARC fails DMARC unless SPF passes aligned; if a signer still uses %s, publish its public key again, or move the signer to a selector that has one", what, selector)
	case o.Revoked:
		return fmt.Sprintf("%s published again (%s, %d bits), where it was revoked: signatures with it can pass again", what, n.KeyType, n.Bits)
	case o.KeyType != n.KeyType || o.Bits == n.Bits:
		return ""
	case n.Bits < o.Bits && n.KeyType == "rsa" && n.Bits < 1024:
		return fmt.Sprintf("%s shortened from %d to %d bits: verifiers must reject RSA keys under 1024 bits (RFC 8301 3.2), so every signature with it now fails DKIM; publish a 2048-bit key", what, o.Bits, n.Bits)
	case n.Bits < o.Bits && n.KeyType == "rsa" && n.Bits < 2048:
		return fmt.Sprintf("%s shortened from %d to %d bits: under the 2048 bits RFC 8301 3.2 recommends, so its signatures are easier to forge; if that was not intended, publish a 2048-bit key", what, o.Bits, n.Bits)
	case n.Bits < o.Bits:
		return fmt.Sprintf("%s shortened from %d to %d bits, still at least the 2048 bits RFC 8301 3.2 recommends", what, o.Bits, n.Bits)
	}
	return fmt.Sprintf("%s lengthened from %d to %d bits: its signatures are harder to forge; check that the signer signs with the new private key, or its signatures fail", what, o.Bits, n.Bits)
}
