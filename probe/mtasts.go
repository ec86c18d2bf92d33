package probe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"net/netip"
	neturl "net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/relaylab/relaylab/internal/resolver"
)

// RFC 8461 3.3: the policy body is at most 64 KiB.
const mtaSTSMaxBody = 64 << 10

// RFC 8461 3.2: max_age is at most 31557600 seconds (about a year).
const mtaSTSMaxAge = 31557600

// maxAgeError is a policy whose max_age is a number of seconds, but more
// than mtaSTSMaxAge.
type maxAgeError struct{ n int }

func (e *maxAgeError) Error() string {
	return fmt.Sprintf("%v: max_age %d is more than the %d seconds RFC 8461 3.2 allows", ErrMTASTSPolicy, e.n, mtaSTSMaxAge)
}

func (e *maxAgeError) Unwrap() error { return ErrMTASTSPolicy }

// MTASTSPolicy is a parsed MTA-STS policy (RFC 8461 3.2).
type MTASTSPolicy struct {
	Version string   `json:"version"`
	Mode    string   `json:"mode"` // enforce, testing, none
	MX      []string `json:"mx"`
	MaxAge  int      `json:"max_age"`
}

// ErrMTASTSPolicy is wrapped by ParseMTASTSPolicy errors.
var ErrMTASTSPolicy = errors.New("MTA-STS policy error")

// ParseMTASTSPolicy parses a policy body: "key: value" lines ended by CRLF
// or LF (RFC 8461 3.2).
func ParseMTASTSPolicy(body string) (*MTASTSPolicy, error) {
	p := &MTASTSPolicy{MaxAge: -1}
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%w: line %d %q is not \"key: value\"", ErrMTASTSPolicy, i+1, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k != "mx" && seen[k] {
			return nil, fmt.Errorf("%w: %q appears twice", ErrMTASTSPolicy, k)
		}
		seen[k] = true
		switch k {
		case "version":
			p.Version = v
		case "mode":
			if v != "enforce" && v != "testing" && v != "none" {
				return nil, fmt.Errorf("%w: mode %q is not enforce, testing or none", ErrMTASTSPolicy, v)
			}
			p.Mode = v
		case "max_age":
			// RFC 8461 3.2: 1*10DIGIT, without a sign.
			n, err := strconv.Atoi(v)
			if err == nil && isDigits(v) && len(v) <= 10 && n > mtaSTSMaxAge {
				return nil, &maxAgeError{n}
			}
			if err != nil || !isDigits(v) || len(v) > 10 {
				return nil, fmt.Errorf("%w: max_age %q is not a number of seconds from 0 to %d", ErrMTASTSPolicy, v, mtaSTSMaxAge)
			}
			p.MaxAge = n
		case "mx":
			pat := strings.ToLower(strings.TrimSuffix(v, "."))
			rest := strings.TrimPrefix(pat, "*.")
			if rest == "" || strings.ContainsAny(rest, "* \t") || !strings.Contains(rest, ".") {
				return nil, fmt.Errorf("%w: mx %q is not a host name or a \"*.\" wildcard", ErrMTASTSPolicy, v)
			}
			p.MX = append(p.MX, pat)
		}
	}
	switch {
	case p.Version != "STSv1":
		return nil, fmt.Errorf("%w: version must be STSv1, not %q", ErrMTASTSPolicy, p.Version)
	case p.Mode == "":
		return nil, fmt.Errorf("%w: mode is missing", ErrMTASTSPolicy)
	case p.MaxAge < 0:
		return nil, fmt.Errorf("%w: max_age is missing", ErrMTASTSPolicy)
	case len(p.MX) == 0 && p.Mode != "none":
		return nil, fmt.Errorf("%w: no mx pattern", ErrMTASTSPolicy)
	}
	return p, nil
}

// MatchMX reports whether host matches a policy mx pattern: "*." matches
// exactly one leftmost label (RFC 8461 4.1).
func MatchMX(pattern, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		i := strings.IndexByte(host, '.')
		return i > 0 && host[i+1:] == rest
	}
	return host == pattern
}

// MTASTSSeen is what a monitor remembers of a policy between runs.
type MTASTSSeen struct {
	ID   string `json:"id"`
	Hash string `json:"hash"` // sha256 of the policy body
}

// MTASTSReport is the result of CheckMTASTS.
type MTASTSReport struct {
	Domain   string        `json:"domain"`
	Record   string        `json:"record,omitempty"`
	ID       string        `json:"id,omitempty"`
	Policy   *MTASTSPolicy `json:"policy,omitempty"`
	Seen     *MTASTSSeen   `json:"seen,omitempty"`
	Status   Status        `json:"status"`
	Findings []Finding     `json:"findings"`
}

func parseSTSRecord(s string) (id string, err error) {
	tags := strings.Split(s, ";")
	if v := strings.TrimSpace(tags[0]); v != "v=STSv1" {
		if rest, ok := strings.CutPrefix(v, "v=STSv1"); ok {
			return "", fmt.Errorf("%q is followed by %q without a \";\" between them", "v=STSv1", rest)
		}
		return "", errors.New("the record does not start with v=STSv1")
	}
	for _, t := range tags[1:] {
		field := strings.Trim(t, " \t")
		if field == "" {
			continue
		}
		k, v, _ := strings.Cut(field, "=")
		if k == "id" {
			if v == "" || len(v) > 32 || strings.IndexFunc(v, func(c rune) bool {
				return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
			}) >= 0 {
				return "", fmt.Errorf("id %q is not 1 to 32 letters and digits", v)
			}
			if id != "" {
				return "", errors.New("id appears twice")
			}
			id = v
			continue
		}
		// RFC 8461 3.1: any other field is an extension, name=value,
		// of this grammar; a record with another is invalid as a whole.
		if !stsExtName(k) || !stsExtValue(v) {
			return "", fmt.Errorf("field %q is neither id=... nor an extension NAME=VALUE (a name of letters, digits, \"_\", \"-\" and \".\", a value without spaces, \";\" or \"=\")", field)
		}
	}
	if id == "" {
		return "", errors.New("the id tag is missing")
	}
	return id, nil
}

// stsExtName reports whether s is an sts-ext-name: a letter or digit, then
// up to 31 letters, digits, "_", "-" or "." (RFC 8461 3.1).
func stsExtName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i, c := range s {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("_-.", c)) {
			return false
		}
	}
	return true
}

// stsExtValue reports whether s is an sts-ext-value: visible characters
// other than ";" and "=" (RFC 8461 3.1).
func stsExtValue(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

// CheckMTASTS checks the _mta-sts TXT record, fetches the policy with
// client (redirects are refused, RFC 8461 3.3), checks it against mxHosts,
// and compares it with prev (nil on a first run).
func CheckMTASTS(ctx context.Context, r resolver.Resolver, log *slog.Logger, client *http.Client, domain string, mxHosts []string, prev *MTASTSSeen) (rep MTASTSReport) {
	f := &findings{check: "mta-sts"}
	rep.Domain = domain
	defer func() { rep.Findings, rep.Status = f.list, f.status() }()
	name := "_mta-sts." + domain
	t, err := lookupTXT(ctx, r, name)
	if err != nil {
		f.dnsFailed(name, err)
		return rep
	}
	var recs []string
	for _, s := range t.Joined() {
		if strings.HasPrefix(s, "v=STSv1") {
			recs = append(recs, s)
		}
	}
	switch len(recs) {
	case 0:
		f.add(SevInfo, "none", name, "", "RFC 8461 3.1", "no MTA-STS record: senders may deliver to %s without TLS if an attacker strips STARTTLS; to require TLS, serve a policy at https://mta-sts.%s/.well-known/mta-sts.txt and publish \"v=STSv1; id=1\" at %s", domain, domain, name)
		return rep
	case 1:
	default:
		f.add(SevError, "multiple", name, strings.Join(recs, " | "), "RFC 8461 3.1", "%d MTA-STS records, so senders treat the domain as having none: keep one", len(recs))
		return rep
	}
	rep.Record = recs[0]
	id, err := parseSTSRecord(recs[0])
	if err != nil {
		f.add(SevError, "record-syntax", name, recs[0], "RFC 8461 3.1",
			"%v, so senders ignore MTA-STS for %s: publish a record such as \"v=STSv1; id=20260101T000000\" (letters and digits; a new id whenever the policy changes)", err, domain)
		return rep
	}
	rep.ID = id
	url := "https://mta-sts." + domain + "/.well-known/mta-sts.txt"
	body, err := fetchPolicy(ctx, client, url)
	var nl *NotLoopbackError
	if errors.As(err, &nl) {
		// The probe chose not to connect: the policy is not known to be
		// broken, only unchecked.
		f.unknown = true
		f.add(SevWarning, "fetch", url, "", "RFC 8461 3.3",
			"the probe did not fetch the policy at %s, so this check is incomplete: %s resolves to %s, not a loopback address, and with zones served on this machine (relaylab probe --zone) the probe connects only to loopback addresses, so that nothing leaves it; to check the policy, point %s at 127.0.0.1 in the zone file and serve the policy there over HTTPS (--mta-sts-port, --mta-sts-ca), or probe with a --resolver that answers for %s",
			url, nl.Host, joinAddrs(nl.Addrs), nl.Host, domain)
		return rep
	}
	var tf *tempFetchError
	if errors.As(err, &tf) {
		// Not the domain's mistake, or not yet: senders that hold the
		// policy keep their cached copy (RFC 8461 5.1), so neither is
		// the probe's verdict a change.
		f.unknown = true
		f.add(SevWarning, "fetch", url, "", "RFC 8461 3.3",
			"%v, so this check is incomplete: the failure may be temporary, and senders that hold the policy keep applying their cached copy until its max_age runs out, fetching it again later (RFC 8461 5.1); run the probe again, and if it keeps failing, check that mta-sts.%s serves the policy over HTTPS", err, domain)
		return rep
	}
	if err != nil {
		f.add(SevError, "fetch", url, "", "RFC 8461 3.3",
			"%v, so senders cannot apply the policy: serve it there over HTTPS with a certificate valid for mta-sts.%s, with status 200, as text/plain, without redirects", err, domain)
		return rep
	}
	sum := sha256.Sum256(body)
	rep.Seen = &MTASTSSeen{ID: id, Hash: hex.EncodeToString(sum[:])}
	if prev != nil && prev.ID == id && prev.Hash != rep.Seen.Hash {
		f.add(SevError, "id-unchanged", name, recs[0], "RFC 8461 3.1",
			"the policy changed but the id in %s did not, so senders keep their cached copy; change the id whenever the policy changes", name)
	}
	p, err := ParseMTASTSPolicy(string(body))
	var long *maxAgeError
	if errors.As(err, &long) {
		f.add(SevError, "policy-syntax", url, string(body), "RFC 8461 3.2",
			"max_age %d is out of range: RFC 8461 3.2 allows at most %d seconds (about a year), so senders may refuse the policy or cap max_age at their own limit; publish max_age: %d or less (604800, a week, is usual) and change the id in _mta-sts.%s so that senders fetch it again",
			long.n, mtaSTSMaxAge, mtaSTSMaxAge, domain)
		return rep
	}
	if err != nil {
		f.add(SevError, "policy-syntax", url, string(body), "RFC 8461 3.2",
			"%v, so senders ignore the policy: the file needs the lines \"version: STSv1\", \"mode: enforce\" (or testing, or none), one \"mx: HOST\" (or \"mx: *.DOMAIN\") per MX host, and \"max_age: 604800\"", err)
		return rep
	}
	rep.Policy = p
	mxs := "no mx patterns"
	if len(p.MX) > 0 {
		mxs = "mx " + strings.Join(p.MX, ", ")
	}
	f.add(SevInfo, "policy", url, "", "RFC 8461 3.2", "policy id %s: mode %s, %s, max_age %d (%s)", id, p.Mode, mxs, p.MaxAge, inWords(p.MaxAge))
	if p.Mode == "testing" {
		f.add(SevInfo, "testing", url, "", "RFC 8461 5", "mode is testing: failures are reported (with TLS-RPT) but mail is still delivered")
	}
	if p.MaxAge < 86400 {
		f.add(SevWarning, "max-age", url, "max_age: "+strconv.Itoa(p.MaxAge), "RFC 8461 3.2", "max_age %d is under a day: senders forget the policy quickly, and an attacker who blocks its refresh can strip TLS again; weeks are usual, such as max_age: 604800", p.MaxAge)
	}
	if p.Mode == "none" {
		return rep
	}
	checkMXPatterns(f, p, url, name, mxHosts)
	log.Debug("mta-sts checked", "domain", domain, "mode", p.Mode)
	return rep
}

// checkMXPatterns compares the policy's mx patterns with the domain's MX
// hosts both ways (RFC 8461 4.1): an MX host that matches no pattern is
// refused by senders that enforce the policy; a pattern that matches no MX
// host is left over, and vouches for hosts that no longer take the mail.
func checkMXPatterns(f *findings, p *MTASTSPolicy, url, name string, mxHosts []string) {
	used := make([]bool, len(p.MX))
	for _, h := range mxHosts {
		ok := false
		for i, pat := range p.MX {
			if MatchMX(pat, h) {
				ok, used[i] = true, true
			}
		}
		if ok {
			continue
		}
		sev, what := SevError, "senders that enforce the policy refuse to deliver to it, so mail that goes to this MX fails (RFC 8461 5)"
		if p.Mode == "testing" {
			sev, what = SevWarning, "in testing mode senders still deliver but report each delivery to it as a failure, and once mode is enforce they will refuse it"
		}
		f.add(sev, "mx-mismatch", url, strings.Join(p.MX, " "), "RFC 8461 4.1",
			"MX %s matches none of the policy's mx patterns (%s): %s; add the line \"mx: %s\" (or a \"*.\" pattern that covers it) to the policy and change the id in %s, or remove the MX record if %s should no longer receive mail",
			h, strings.Join(p.MX, ", "), what, h, name, h)
	}
	if len(mxHosts) == 0 {
		return // no MX hosts known (none, a null MX, or a failed lookup): nothing to compare
	}
	for i, pat := range p.MX {
		if used[i] {
			continue
		}
		f.add(SevWarning, "mx-unused", url, "mx: "+pat, "RFC 8461 4.1",
			"the policy's mx pattern %s matches none of the domain's MX hosts (%s): it is left over (an old provider, a host retired), and senders would still accept that host as yours if the MX records were spoofed; remove the line \"mx: %s\" from the policy and change the id in %s, or publish the MX record it was meant for",
			pat, strings.Join(mxHosts, ", "), pat, name)
	}
}

// inWords writes a number of seconds as days, hours or seconds.
func inWords(sec int) string {
	unit := func(n float64, noun string) string {
		n = math.Round(n*10) / 10
		if n == math.Trunc(n) {
			return counted(int(n), noun)
		}
		return fmt.Sprintf("%.1f %ss", n, noun)
	}
	switch {
	case sec >= 86400:
		return unit(float64(sec)/86400, "day")
	case sec >= 3600:
		return unit(float64(sec)/3600, "hour")
	}
	return counted(sec, "second")
}

// fetchPolicy GETs url without following redirects and reads at most
// 64 KiB (RFC 8461 3.3), served as text/plain.
func fetchPolicy(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	body, ct, err := fetchHTTPS(ctx, client, url, mtaSTSMaxBody, "a policy fetch")
	if err != nil {
		return nil, err
	}
	// Media types are case-insensitive and may carry parameters (RFC
	// 2045 5.1): "Text/Plain; charset=utf-8" is text/plain.
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/plain" {
		return nil, fmt.Errorf("%s has media type %q, want text/plain", url, ct)
	}
	return body, nil
}

// fetchHTTPS GETs url with client, as MTA-STS policies and BIMI logos
// are fetched: without following redirects, reading at most limit bytes
// (a larger body is a *tooLargeError). It returns the body and its
// Content-Type. A failure that may pass is a *tempFetchError (see
// fetchFailed), which says a timeout is the time the probe allows kind
// ("a policy fetch").
func fetchHTTPS(ctx context.Context, client *http.Client, url string, limit int, kind string) ([]byte, string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		// The *url.Error repeats the URL: keep what went wrong.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, "", fetchFailed(fmt.Sprintf("fetching %s", url), kind, err, &c)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if loc := resp.Header.Get("Location"); loc != "" {
			return nil, "", fmt.Errorf("%s redirects (%d) to %s; redirects are not followed", url, resp.StatusCode, loc)
		}
		err := fmt.Errorf("%s answered %s, want 200", url, resp.Status)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
			// The server's trouble, or its load: worth another try.
			return nil, "", &tempFetchError{err}
		}
		return nil, "", err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, "", fetchFailed(fmt.Sprintf("reading %s", url), kind, err, &c)
	}
	if len(body) > limit {
		return nil, "", &tooLargeError{url: url, limit: limit}
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// tooLargeError is a body longer than the limit of its fetch.
type tooLargeError struct {
	url   string
	limit int
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d KiB", e.url, e.limit>>10)
}

func joinAddrs(as []netip.Addr) string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return strings.Join(out, ", ")
}

// tempFetchError is a policy fetch that failed for a reason that may pass
// (see fetchFailed): CheckMTASTS reports the check as incomplete
// (unknown), not the policy as broken.
type tempFetchError struct{ err error }

func (e *tempFetchError) Error() string { return e.err.Error() }
func (e *tempFetchError) Unwrap() error { return e.err }

// fetchFailed says what went wrong with a fetch by c (what: "fetching
// URL"; kind: "a policy fetch", what c's timeout bounds), marked temporary
// when it may pass: a timeout (said with the
// time allowed, when known), no connection or one cut (refused, reset,
// unreachable, closed early), or a DNS server that did not answer for
// the policy host. The domain's own mistakes stay errors: a host that
// does not exist, a certificate not valid for it, a server that does
// not speak TLS.
func fetchFailed(what, kind string, err error, c *http.Client) error {
	var ne net.Error
	var re *resolver.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		// net/http says a handshake that timed out only in words.
		tr, _ := c.Transport.(*http.Transport)
		if tr != nil && tr.TLSHandshakeTimeout > 0 && strings.Contains(err.Error(), "TLS handshake timeout") {
			return &tempFetchError{fmt.Errorf("%s: the server took the connection but did not complete the TLS handshake within %s", what, tr.TLSHandshakeTimeout)}
		}
		if c.Timeout > 0 {
			return &tempFetchError{fmt.Errorf("%s: no answer within %s, the time the probe allows %s", what, c.Timeout, kind)}
		}
		return &tempFetchError{fmt.Errorf("%s: timed out", what)}
	case errors.Is(err, context.Canceled):
		return &tempFetchError{fmt.Errorf("%s: stopped before it finished", what)}
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &tempFetchError{fmt.Errorf("%s: %w", what, err)}
	case errors.As(err, &re) && !resolver.IsNotFound(err):
		return &tempFetchError{fmt.Errorf("%s: %w", what, err)}
	}
	return fmt.Errorf("%s: %w", what, err)
}
