package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/netip"
	"strings"

	"golang.org/x/net/idna"

	"github.com/relaylab/relaylab/internal/resolver"
)

// AuthResults is the SPF, DKIM and DMARC verdict on one received message.
type AuthResults struct {
	SPF   SPFResult       `json:"spf"`
	DKIM  []DKIMSignature `json:"dkim"`
	DMARC DMARCEval       `json:"dmarc"`
	From  string          `json:"from,omitempty"` // the RFC5322.From domain
	// Header is a complete "Authentication-Results: relaylab; ..." field
	// (RFC 8601) on one line, without the trailing CRLF, ready to prepend
	// (see authresults.go).
	Header string `json:"header"`
}

// ErrNoFrom is returned (wrapped) when a message has no usable From: DMARC
// cannot be evaluated (RFC 7489 6.6.1).
var ErrNoFrom = errors.New("no single From address")

// VerifyMessage checks a message the sink received from clientIP, which
// said helo and gave mailFrom (empty for a bounce), and returns SPF, DKIM
// and DMARC results with an Authentication-Results header for authserv-id
// "relaylab". It fails only when raw is not a message; DNS failures become
// temperror results.
func VerifyMessage(ctx context.Context, r resolver.Resolver, clientIP netip.Addr, helo, mailFrom string, raw []byte) (AuthResults, error) {
	return VerifyMessageAs(ctx, r, "relaylab", clientIP, helo, mailFrom, raw)
}

// VerifyMessageAs is VerifyMessage with another authserv-id (RFC 8601 2.5).
func VerifyMessageAs(ctx context.Context, r resolver.Resolver, authservID string, clientIP netip.Addr, helo, mailFrom string, raw []byte) (AuthResults, error) {
	var ar AuthResults
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ar, fmt.Errorf("the message cannot be parsed: %w", err)
	}

	// SPF checks MAIL FROM, or the HELO identity for a null sender (RFC 7208 2.4).
	// RFC 8616 4 and 6: an SMTPUTF8 message's domains in U-labels are
	// looked up in A-labels (_dmarc.xn--bcher-kva.test, not the raw UTF-8
	// of _dmarc.bücher.test, which finds no record and lets a forgery
	// through as dmarc=none).
	helo = aLabels(helo)
	if i := strings.LastIndexByte(mailFrom, '@'); i >= 0 {
		mailFrom = mailFrom[:i+1] + aLabels(mailFrom[i+1:])
	}
	ar.SPF = EvalSPF(ctx, r, clientIP, helo, mailFrom)
	spfDomain := domainOf(mailFrom)
	if mailFrom == "" {
		spfDomain = helo
	}

	ar.DKIM, err = VerifyDKIM(ctx, r, raw)
	if err != nil {
		ar.DKIM = []DKIMSignature{{Result: "permerror", Error: err.Error()}}
	}
	var passes []DKIMPass
	for _, d := range ar.DKIM {
		if d.Result == "pass" {
			passes = append(passes, DKIMPass{Domain: aLabels(d.Domain), Algorithm: d.Algorithm})
		}
	}

	if from, err := FromDomain(msg.Header); err != nil {
		ar.DMARC = DMARCEval{Result: "permerror", Error: err.Error()}
	} else {
		ar.From = from
		ar.DMARC = EvalDMARC(ctx, r, discardLogger(), DMARCInput{From: ar.From, SPFDomain: spfDomain, SPFResult: ar.SPF.Result, DKIMPasses: passes})
	}
	// See authresults.go for what the field holds.
	rs := []resinfo{ar.spfResult(authservID, mailFrom, helo)}
	rs = append(rs, ar.dkimResults(signatureTags(msg.Header, maxDKIMSignatures))...)
	rs = append(rs, ar.dmarcResult())
	ar.Header = "Authentication-Results: " + formatAuthResults(authservID, rs)
	return ar, nil
}

// FromDomain is the domain of a message's single From address (RFC 7489
// 6.6.1), lower case and in A-labels, or an error wrapping ErrNoFrom that
// says why there is none: no From field, two of them, an address list of
// other than one address, or a value that is no address list (the
// parser's own words). The display name's encoded-words are not decoded
// (ParseAddressList), so a name in windows-1252 or any other charset does
// not stand in the way of the address.
func FromDomain(h mail.Header) (string, error) {
	fields := h["From"]
	switch {
	case len(fields) == 0:
		return "", fmt.Errorf("%w: the message has no From field, so DMARC has no domain to check (RFC 7489 6.6.1)", ErrNoFrom)
	case len(fields) > 1:
		return "", fmt.Errorf("%w: the message has %d From fields, and DMARC cannot tell which one the reader is shown (RFC 7489 6.6.1; RFC 5322 3.6 allows one)", ErrNoFrom, len(fields))
	}
	addrs, err := ParseAddressList(fields[0])
	switch {
	case err != nil:
		// The field itself is not quoted: the error goes into a reason=
		// of Authentication-Results, where its quotes would not survive.
		return "", fmt.Errorf("%w: the From field is not an address list (%s), so DMARC has no domain to check (RFC 7489 6.6.1); the sender must write it as in RFC 5322 3.4", ErrNoFrom, strings.NewReplacer(`"`, "'", `\`, "/").Replace(err.Error()))
	case len(addrs) != 1:
		return "", fmt.Errorf("%w: the From field holds %d addresses, and DMARC checks a message with one author address (RFC 7489 6.6.1)", ErrNoFrom, len(addrs))
	}
	d := domainOf(addrs[0].Address)
	if d == "" {
		return "", fmt.Errorf("%w: the From address has no domain (RFC 7489 6.6.1)", ErrNoFrom)
	}
	return aLabels(d), nil
}

// addressParser reads address lists without decoding the display names'
// encoded-words beyond what net/mail knows (UTF-8, ISO-8859-1,
// US-ASCII): the address is what counts, and a name in another charset
// (=?windows-1252?Q?Caf=E9?=) made the whole field an error.
var addressParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
}}

// ParseAddressList parses an address list (RFC 5322 3.4) whatever charset
// its display names are encoded in; the names of other charsets than
// net/mail's are left undecoded.
func ParseAddressList(v string) ([]*mail.Address, error) {
	return addressParser.ParseList(v)
}

// aLabels is domain in A-labels (RFC 5890 2.3.2.1; RFC 8616 4 and 6, for
// SPF and DMARC lookups and DKIM alignment), or as it is when it is ASCII
// already or cannot be converted.
func aLabels(domain string) string {
	for i := 0; i < len(domain); i++ {
		if domain[i] >= 0x80 {
			if a, err := idna.Lookup.ToASCII(domain); err == nil {
				return strings.ToLower(a)
			}
			return domain
		}
	}
	return domain
}

// domainOf returns the domain of an address, lower case.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(strings.Trim(addr[i+1:], ">. "))
	}
	return ""
}

// DMARCRejects reports whether the sender's DMARC policy asks receivers to
// reject this message: DMARC failed and the policy is reject (RFC 7489
// 6.3; big receivers answer 550 5.7.26). pct is not sampled.
func (ar AuthResults) DMARCRejects() bool {
	return ar.DMARC.Result == "fail" && ar.DMARC.Policy == "reject"
}
