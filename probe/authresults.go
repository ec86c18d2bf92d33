package probe

import (
	"cmp"
	"net/mail"
	"regexp"
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// The Authentication-Results field (RFC 8601) that VerifyMessage writes:
// what receivers show, in the properties the IANA "Email Authentication
// Methods" registry has for each method, and a comment where the
// registry has none, as Gmail writes the client IP beside spf=.
//
//	Authentication-Results: relaylab; spf=pass (relaylab: domain of a@shop.test
//	designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@shop.test; dkim=pass
//	header.a=ed25519-sha256 header.b=Cd8xWq1z header.d=shop.test header.s=s1;
//	dmarc=pass (policy for failing mail is reject) header.from=shop.test polrec.p=reject
//
// (on one line: readers of the sink's messages take the first line for
// the whole field).
//
// dkim: header.d, header.i, header.a and header.s (RFC 8601 2.7.1), and
// header.b, the start of the signature (RFC 6008 4: at least 8
// characters, more where two signatures start alike), so that two
// signatures of one domain can be told apart. spf: smtp.mailfrom, or
// smtp.helo for a null sender (RFC 8601 2.7.2); the client IP is no
// registered spf property, so it goes in the comment. dmarc: header.from
// (RFC 7489 11.1), and polrec.p, the p= of the record found, and
// polrec.domain, where it was found when that is not the From domain
// (the properties DMARCbis added to the registry).
//
// No reason or comment holds a ";": go-msgauth's authres.Parse splits
// the field at every ";", quoted or not, so one would cut a resinfo
// short (a DMARC reason that cited "RFC 7489 6.6.1; RFC 5322 3.6" made
// the whole field unreadable to it).

// maxDKIMSignatures is how many signatures VerifyDKIM verifies
// (dkim.VerifyOptions.MaxVerifications there): the first so many
// DKIM-Signature fields are those of its results.
const maxDKIMSignatures = 8

// resinfo is one result of the field and the comment to put after its
// value ("" for none).
type resinfo struct {
	result  authres.Result
	comment string
}

// formatAuthResults is the field's value: authservID and each result,
// each result folded onto a line of its own (RFC 5322 2.2.3), as large
// receivers write the field: up to eight DKIM results with their
// comments and reasons on one line could pass the 998 characters a line
// may have (RFC 5322 2.1.1), and a line for each reads better.
func formatAuthResults(authservID string, rs []resinfo) string {
	var b strings.Builder
	b.WriteString(authservID)
	if len(rs) == 0 {
		b.WriteString("; none")
	}
	for _, r := range rs {
		// authres formats the values and their quoting; the comment,
		// which it does not write, goes after method=value.
		one := strings.TrimSpace(strings.TrimPrefix(authres.Format("", []authres.Result{r.result}), "; "))
		if r.comment != "" {
			spec, props, _ := strings.Cut(one, " ")
			one = strings.TrimSpace(spec + " (" + commentText(r.comment) + ") " + props)
		}
		b.WriteString(";\r\n\t")
		b.WriteString(one)
	}
	return b.String()
}

// reasonText is s for a reason= value: on one line, without ";" (see
// above) or "\", which authres does not escape in a quoted-string.
func reasonText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ';':
			return ','
		case r == '\\':
			return '/'
		case r < ' ' || r == 0x7f:
			return ' '
		}
		return r
	}, s)
}

// commentText is s for a comment (RFC 5322 3.2.2): reasonText, and
// brackets for the parentheses that would end or nest it.
func commentText(s string) string {
	return strings.NewReplacer("(", "[", ")", "]").Replace(reasonText(s))
}

// spfComment is the comment of spf=: what the result says of the client
// IP, in the words receivers use (Gmail's among them).
func spfComment(authservID string, r SPFResult) string {
	who := "domain of " + r.Sender
	var says string
	switch r.Result {
	case "pass":
		says = who + " designates " + r.IP + " as permitted sender"
	case "fail", "softfail":
		says = who + " does not designate " + r.IP + " as permitted sender"
	case "neutral":
		says = r.IP + " is neither permitted nor denied by " + who
	case "none", "":
		says = who + " does not designate permitted sender hosts, client IP " + r.IP
	case "temperror":
		says = "temporary error in processing during lookup of " + r.Sender + ", client IP " + r.IP
	default:
		says = "permanent error in processing during lookup of " + r.Sender + ", client IP " + r.IP
	}
	return authservID + ": " + says
}

// dkimTags are the tags of one DKIM-Signature field that the field
// reports, s=, a=, i= and b=, and c=, which VerifyDKIM's errors name.
type dkimTags struct{ s, a, i, b, c string }

// signatureTags reads the tags of each DKIM-Signature field of h, in the
// order of the fields, which is the order VerifyDKIM gives its results
// in (at most maxSigs of them).
func signatureTags(h mail.Header, maxSigs int) []dkimTags {
	fields := h["Dkim-Signature"]
	if len(fields) > maxSigs {
		fields = fields[:maxSigs]
	}
	out := make([]dkimTags, len(fields))
	for i, f := range fields {
		for _, part := range strings.Split(f, ";") {
			name, val, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			// RFC 6376 3.2: tag names are case-sensitive, and
			// whitespace may surround names and values and fold b=.
			val = strings.Join(strings.Fields(val), "")
			switch strings.TrimSpace(name) {
			case "s":
				out[i].s = val
			case "a":
				out[i].a = val
			case "i":
				out[i].i = val
			case "b":
				out[i].b = val
			case "c":
				out[i].c = val
			}
		}
	}
	return out
}

// safeProp matches a property value taken from a signature that goes
// into the field as it is: what a selector, an algorithm, an AUID of
// plain characters and base64 hold. Another (a quote, a backslash, a
// space) would need quoting that authres does not do right, and the
// property is left out instead.
var safeProp = regexp.MustCompile(`^[A-Za-z0-9._@+/=-]+$`)

// prop sets params[name] to v when it is safe (safeProp).
func prop(params map[string]string, name, v string) {
	if v != "" && safeProp.MatchString(v) {
		params[name] = v
	}
}

// headerB gives each signature b= the shortest start, at least 8
// characters (RFC 6008 4), that no other signature's b= starts with.
func headerB(bs []string) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		n := min(8, len(b))
		for ; n < len(b); n++ {
			clash := false
			for j, o := range bs {
				if j != i && o != b && strings.HasPrefix(o, b[:n]) {
					clash = true
				}
			}
			if !clash {
				break
			}
		}
		out[i] = b[:n]
	}
	return out
}

// dkimResults are the dkim= resinfos of ar: one per signature, with its
// tags when tags (signatureTags) has one per signature, or dkim=none.
func (ar AuthResults) dkimResults(tags []dkimTags) []resinfo {
	if len(ar.DKIM) == 0 {
		return []resinfo{{result: &authres.DKIMResult{Value: authres.ResultNone}}}
	}
	if len(tags) != len(ar.DKIM) {
		tags = nil // not the signatures VerifyDKIM read
	}
	bs := make([]string, len(tags))
	for i, t := range tags {
		bs[i] = t.b
	}
	bs = headerB(bs)
	var out []resinfo
	for i, d := range ar.DKIM {
		// A pass's note is its reason: RFC 8601 2.3 lets any result
		// have one.
		params := map[string]string{"reason": reasonText(cmp.Or(d.Error, d.Note)), "header.d": d.Domain}
		if tags != nil {
			prop(params, "header.s", tags[i].s)
			prop(params, "header.a", tags[i].a)
			prop(params, "header.i", tags[i].i)
			prop(params, "header.b", bs[i])
		}
		out = append(out, resinfo{result: &authres.GenericResult{Method: "dkim", Value: authres.ResultValue(d.Result), Params: params}})
	}
	return out
}

// dmarcResult is the dmarc= resinfo of ar.
func (ar AuthResults) dmarcResult() resinfo {
	d := ar.DMARC
	params := map[string]string{"reason": reasonText(cmp.Or(d.Error, d.Note)), "header.from": ar.From}
	var comment string
	if d.Policy != "" {
		// DMARCEval.Policy is the disposition for failing mail: the
		// record's p=, or its sp= for a subdomain of where it was found.
		comment = "policy for failing mail is " + d.Policy
		if where := strings.TrimSuffix(strings.ToLower(d.PolicyDomain), "."); where != "" && where != ar.From {
			params["polrec.domain"] = where
		} else {
			params["polrec.p"] = d.Policy
		}
	}
	return resinfo{result: &authres.GenericResult{Method: "dmarc", Value: authres.ResultValue(d.Result), Params: params}, comment: comment}
}

// spfResult is the spf= resinfo of ar for mailFrom (empty: the HELO
// identity, helo, was checked).
func (ar AuthResults) spfResult(authservID, mailFrom, helo string) resinfo {
	r := &authres.SPFResult{Value: authres.ResultValue(ar.SPF.Result), From: mailFrom}
	if mailFrom == "" {
		r.From, r.Helo = "", helo
	}
	if r.Value == "" {
		r.Value = authres.ResultNone
	}
	if r.Value == authres.ResultTempError || r.Value == authres.ResultPermError {
		r.Reason = reasonText(ar.SPF.Error)
	}
	return resinfo{result: r, comment: spfComment(authservID, ar.SPF)}
}

// UncheckedHeader is a whole Authentication-Results field for a message
// none of whose checks could be made, each result value (temperror, RFC
// 8601 2.7: "a temporary error"), with reason on the SPF result, in the
// form of VerifyMessage's field.
func UncheckedHeader(authservID string, value authres.ResultValue, reason string) string {
	return "Authentication-Results: " + formatAuthResults(authservID, []resinfo{
		{result: &authres.SPFResult{Value: value, Reason: reasonText(reason)}},
		{result: &authres.DKIMResult{Value: value}},
		{result: &authres.DMARCResult{Value: value}},
	})
}
