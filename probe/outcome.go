package probe

import (
	"fmt"
	"slices"
	"strings"
)

// The outcome of a check is compared between runs as a fact of its own
// (key "domain D spf-result"), beside the records: an SPF policy breaks
// when a record it includes changes, with the domain's own unchanged; a
// DMARC check fails when the report domain withdraws its authorisation;
// an MTA-STS check fails when the policy host or the MX hosts change.
// DKIM is left out: its outcome follows from its key records alone,
// which are compared already.

// spfPermerror are the SPF findings whose error receivers meet as
// permerror (RFC 7208 2.6.7): the policy cannot be evaluated.
var spfPermerror = []string{"spf.lookup-limit", "spf.void-limit", "spf.loop", "spf.too-deep", "spf.mx-limit",
	"spf.include-none", "spf.syntax", "spf.multiple"}

// outcomeCodes are the codes of the error and the warning findings of a
// check, each once, sorted; ok is false when a lookup failed, so that an
// incomplete check is never compared.
func outcomeCodes(fs []Finding, skip ...string) (errs, warns []string, ok bool) {
	for _, f := range fs {
		switch {
		case strings.HasSuffix(f.Code, ".dns-error"):
			return nil, nil, false
		case slices.Contains(skip, f.Code):
		case f.Severity == SevError && !slices.Contains(errs, f.Code):
			errs = append(errs, f.Code)
		case f.Severity == SevWarning && !slices.Contains(warns, f.Code):
			warns = append(warns, f.Code)
		}
	}
	slices.Sort(errs)
	slices.Sort(warns)
	return errs, warns, true
}

// spfOutcome is what receivers get from an SPF policy, compared between
// runs: "pass (10 lookups)", "permerror: spf.lookup-limit (11 lookups)",
// "none"; warnings after "; warning:". The count of lookups is part of
// it: an include that grows is how a policy comes near the limit. A
// lookup-near-limit warning is left out, as the count says it.
func spfOutcome(rep *SPFReport) (string, bool) {
	if rep == nil || rep.Status == StatusUnknown {
		return "", false
	}
	errs, warns, ok := outcomeCodes(rep.Findings, "spf.lookup-near-limit")
	if !ok {
		return "", false
	}
	head := "pass"
	switch {
	case slices.Contains(errs, "spf.none"):
		return "none", true
	case slices.ContainsFunc(errs, func(c string) bool { return slices.Contains(spfPermerror, c) }):
		head = "permerror"
	case len(errs) > 0:
		head = "error"
	}
	v := head
	if len(errs) > 0 {
		v += ": " + strings.Join(errs, ", ")
	}
	if len(warns) > 0 {
		v += "; warning: " + strings.Join(warns, ", ")
	}
	if t := rep.Tree; t != nil && rep.Record != "" {
		v += " (" + atLeast(t) + counted(t.Total, "lookup") + ")"
	}
	return v, true
}

// checkOutcome is the outcome of another check: "ok", "warning: CODES"
// or "error: CODES; warning: CODES".
func checkOutcome(st Status, fs []Finding) (string, bool) {
	if st == StatusUnknown {
		return "", false
	}
	errs, warns, ok := outcomeCodes(fs)
	switch {
	case !ok:
		return "", false
	case len(errs) > 0 && len(warns) > 0:
		return "error: " + strings.Join(errs, ", ") + "; warning: " + strings.Join(warns, ", "), true
	case len(errs) > 0:
		return "error: " + strings.Join(errs, ", "), true
	case len(warns) > 0:
		return "warning: " + strings.Join(warns, ", "), true
	}
	return "ok", true
}

// outcomeHead is the first word of an outcome: "pass", "permerror",
// "warning"; "" for none.
func outcomeHead(v string) string {
	head, _, _ := strings.Cut(v, ":")
	head, _, _ = strings.Cut(head, ";")
	head, _, _ = strings.Cut(head, " (")
	return head
}

// outcomeCodesOf are the codes an outcome names, errors and warnings.
func outcomeCodesOf(v string) []string {
	v, _, _ = strings.Cut(v, " (")
	var out []string
	for _, part := range strings.Split(v, ";") {
		_, codes, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		for _, c := range strings.Split(codes, ",") {
			out = append(out, strings.TrimSpace(c))
		}
	}
	return out
}

// lookupsOf is the count of DNS lookups an SPF outcome gives, "11" or
// "at least 20", "" for none.
func lookupsOf(v string) string {
	_, n, ok := strings.Cut(v, " (")
	if !ok {
		return ""
	}
	n, _, _ = strings.Cut(n, " lookup")
	return n
}

// permerrorCodes are the codes of a permerror outcome, "" for another.
func permerrorCodes(v string) string {
	if outcomeHead(v) != "permerror" {
		return ""
	}
	_, codes, _ := strings.Cut(v, ": ")
	codes, _, _ = strings.Cut(codes, ";")
	codes, _, _ = strings.Cut(codes, " (")
	return codes
}

// firstMessage is the message of the first finding whose code is in
// codes, or "".
func firstMessage(fs []Finding, codes []string) string {
	for _, f := range fs {
		if slices.Contains(codes, f.Code) && f.Severity != SevInfo {
			return f.Message
		}
	}
	return ""
}

// checkNames name a check in a note.
var checkNames = map[string]string{"spf": "SPF", "dmarc": "DMARC", "mta-sts": "MTA-STS"}

// resultNote says what a confirmed change of a check's outcome means:
// SPF that starts or stops giving permerror, a check that gets worse
// (with the finding that says why) or better. ownSame is set for SPF when
// the domain's own record did not change with it: a record it includes
// or redirects to did.
func resultNote(check, target, old, cur string, fs []Finding, ownSame bool) string {
	name := checkNames[check]
	through := ""
	if ownSame && check == "spf" {
		through = " (its own SPF record did not change: a record it includes or redirects to did)"
	}
	was, is := permerrorCodes(old), permerrorCodes(cur)
	switch {
	case is != "" && was == "":
		return fmt.Sprintf("SPF of %s now gives permerror (%s) where it gave %s%s, so receivers may treat its mail as failing SPF, and DMARC then rests on DKIM alone. Why: %s",
			target, is, outcomeHead(old), through, firstMessage(fs, strings.Split(is, ", ")))
	case was != "" && is == "":
		return fmt.Sprintf("SPF of %s no longer gives permerror (%s)%s: receivers can evaluate the policy again; it is now %s", target, was, through, cur)
	}
	var added, gone []string
	oc, nc := outcomeCodesOf(old), outcomeCodesOf(cur)
	for _, c := range nc {
		if !slices.Contains(oc, c) {
			added = append(added, c)
		}
	}
	for _, c := range oc {
		if !slices.Contains(nc, c) {
			gone = append(gone, c)
		}
	}
	switch {
	case len(added) > 0:
		return fmt.Sprintf("the %s check of %s now finds %s%s: %s", name, target, strings.Join(added, ", "), through, firstMessage(fs, added))
	case len(gone) > 0:
		return fmt.Sprintf("the %s check of %s no longer finds %s%s", name, target, strings.Join(gone, ", "), through)
	case check == "spf" && lookupsOf(old) != "" && lookupsOf(cur) != "":
		return fmt.Sprintf("the SPF policy of %s needs %s DNS lookups where it needed %s%s; receivers allow %d (RFC 7208 4.6.4)", target, lookupsOf(cur), lookupsOf(old), through, spfLookupLimit)
	}
	return ""
}

// spfRecordNote says, for a confirmed change of a domain's own SPF
// record, whether SPF started or stopped giving permerror with it: prior
// is the outcome confirmed before ("" when none was), cur the outcome
// now, old the record before.
func spfRecordNote(prior, cur, old string, fs []Finding) string {
	was, is := permerrorCodes(prior), permerrorCodes(cur)
	switch {
	case is != "" && was == "" && prior != "":
		return fmt.Sprintf("SPF went from %s to permerror (%s) with this record: %s; %s", outcomeHead(prior), is, firstMessage(fs, strings.Split(is, ", ")), restoreAdvice(old))
	case is != "" && was == "":
		return fmt.Sprintf("SPF gives permerror (%s) with this record: %s", is, firstMessage(fs, strings.Split(is, ", ")))
	case was != "" && is == "":
		return fmt.Sprintf("SPF no longer gives permerror (it gave permerror: %s) with this record: it is now %s", was, cur)
	}
	return ""
}
