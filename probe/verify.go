package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/relaylab/relaylab/internal/resolver"
)

// AuthResults is the SPF, DKIM and DMARC verdict on one received message.
type AuthResults struct {
	SPF   SPFResult       `json:"spf"`
	DKIM  []DKIMSignature `json:"dkim"`
	DMARC DMARCEval       `json:"dmarc"`
	From  string          `json:"from,omitempty"` // the RFC5322.From domain
	// Header is a complete "Authentication-Results: relaylab; ..." field
	// (RFC 8601), without the trailing CRLF, ready to prepend.
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
			passes = append(passes, DKIMPass{Domain: d.Domain})
		}
	}

	addrs, ferr := mail.ParseAddressList(msg.Header.Get("From"))
	if ferr != nil || len(addrs) != 1 {
		ar.DMARC = DMARCEval{Result: "permerror", Error: fmt.Sprintf("%v: the From field holds %d addresses", ErrNoFrom, len(addrs))}
	} else {
		ar.From = domainOf(addrs[0].Address)
		ar.DMARC = EvalDMARC(ctx, r, discardLogger(), DMARCInput{From: ar.From, SPFDomain: spfDomain, SPFResult: ar.SPF.Result, DKIMPasses: passes})
	}
	ar.Header = "Authentication-Results: " + authres.Format(authservID, ar.results(mailFrom, helo))
	return ar, nil
}

func (ar AuthResults) results(mailFrom, helo string) []authres.Result {
	var res []authres.Result
	spfRes := &authres.SPFResult{Value: authres.ResultValue(ar.SPF.Result), From: mailFrom}
	if mailFrom == "" {
		spfRes.From, spfRes.Helo = "", helo
	}
	if spfRes.Value == "" {
		spfRes.Value = authres.ResultNone
	}
	res = append(res, spfRes)
	if len(ar.DKIM) == 0 {
		res = append(res, &authres.DKIMResult{Value: authres.ResultNone})
	}
	for _, d := range ar.DKIM {
		res = append(res, &authres.DKIMResult{Value: authres.ResultValue(d.Result), Domain: d.Domain, Reason: d.Error})
	}
	res = append(res, &authres.DMARCResult{Value: authres.ResultValue(ar.DMARC.Result), From: ar.From, Reason: ar.DMARC.Error})
	return res
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
