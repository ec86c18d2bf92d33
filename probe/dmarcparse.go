package probe

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// DMARCRecord is a parsed DMARC policy record (RFC 7489 6.3).
type DMARCRecord struct {
	Policy    string   `json:"p"`            // none, quarantine, reject
	SubPolicy string   `json:"sp,omitempty"` // "" when absent (p applies)
	NP        string   `json:"np,omitempty"` // for subdomains that do not exist (RFC 9091 3.2); "" when absent
	ADKIM     string   `json:"adkim"`        // r or s
	ASPF      string   `json:"aspf"`         // r or s
	Pct       int      `json:"pct"`
	RUA       []string `json:"rua,omitempty"`
	RUF       []string `json:"ruf,omitempty"`
	FO        string   `json:"fo,omitempty"`
	RF        string   `json:"rf,omitempty"`
	RI        int      `json:"ri"`
	// Unknown lists tags this parser does not know (ignored, RFC 7489 6.3).
	Unknown []string `json:"unknown,omitempty"`
	// Problems lists the tags (or report URIs) that receivers discard
	// because they are malformed; the rest of the record still applies
	// (RFC 7489 6.3), with defaults in their place.
	Problems []DMARCProblem `json:"problems,omitempty"`

	// pNotSecond is set when p is present but is not the tag right after
	// v (RFC 7489 6.3: "v" and "p" MUST appear in that order).
	pNotSecond bool
}

// DMARCProblem is one malformed tag of a record that is otherwise usable.
type DMARCProblem struct {
	Tag     string `json:"tag"`     // the tag, such as pct or rua
	Value   string `json:"value"`   // the value as published (one URI for rua and ruf)
	Problem string `json:"problem"` // what is wrong with it
	Effect  string `json:"effect"`  // what receivers do instead
}

// ErrDMARCSyntax is wrapped by ParseDMARC errors.
var ErrDMARCSyntax = errors.New("DMARC syntax error")

func dmarcErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDMARCSyntax, fmt.Sprintf(format, args...))
}

// DMARCRepeatError is ParseDMARC's error for a record that gives a tag
// more than once. RFC 7489 6.3 takes DKIM's tag=value syntax, under which
// such a record is invalid as a whole (RFC 6376 3.2); receivers disagree
// on it (some apply no policy, others read the last value), so it carries
// what a lenient reading gives.
type DMARCRepeatError struct {
	// Repeats lists each repeated tag with its values in order.
	Repeats []DMARCRepeat
	// Merged is the record with each tag once: the rua and ruf lists
	// joined, the last value of any other tag (as lenient receivers read
	// it).
	Merged string
}

// DMARCRepeat is one tag given more than once.
type DMARCRepeat struct {
	Tag    string
	Values []string
}

func (e *DMARCRepeatError) Error() string {
	var parts []string
	for _, r := range e.Repeats {
		parts = append(parts, fmt.Sprintf("tag %q appears %d times (%s=%s)", r.Tag, len(r.Values), r.Tag, strings.Join(r.Values, ", "+r.Tag+"=")))
	}
	return ErrDMARCSyntax.Error() + ": " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrDMARCSyntax) hold.
func (e *DMARCRepeatError) Unwrap() error { return ErrDMARCSyntax }

// repeatedTags returns the tags that s gives more than once, and s with
// each tag once: the first place of a tag, the rua and ruf lists of all its
// places joined, the last value of any other tag.
func repeatedTags(s string) *DMARCRepeatError {
	type tag struct {
		key    string
		values []string
	}
	var tags []*tag
	byKey := map[string]*tag{}
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(strings.Trim(part, " \t"), "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.Trim(k, " \t")), strings.Trim(v, " \t")
		if t := byKey[k]; t != nil {
			t.values = append(t.values, v)
			continue
		}
		t := &tag{key: k, values: []string{v}}
		byKey[k] = t
		tags = append(tags, t)
	}
	e := &DMARCRepeatError{}
	var out []string
	for _, t := range tags {
		v := t.values[len(t.values)-1]
		if len(t.values) > 1 {
			e.Repeats = append(e.Repeats, DMARCRepeat{Tag: t.key, Values: t.values})
			if t.key == "rua" || t.key == "ruf" {
				v = strings.Join(t.values, ",")
			}
		}
		if t.key == "v" {
			v = t.values[0]
		}
		out = append(out, t.key+"="+v)
	}
	if len(e.Repeats) == 0 {
		return nil
	}
	e.Merged = strings.Join(out, "; ")
	return e
}

// IsDMARC reports whether a TXT record is a DMARC record candidate: it
// starts with the tag "v=DMARC1" (RFC 7489 6.6.3 discards the others),
// with nothing before it: the ABNF (RFC 7489 6.4) allows spaces around
// "=", not before "v", and after "DMARC1" only spaces, then ";" or the
// end. In "v=DMARC1 p=reject" the version tag's value runs to the first
// ";" ("DMARC1 p=reject", RFC 7489 6.3 takes DKIM's tag=value syntax),
// so receivers discard that record as another version's.
func IsDMARC(txt string) bool {
	t := txt
	if !strings.HasPrefix(t, "v") {
		return false
	}
	t = strings.TrimLeft(t[1:], " \t")
	if !strings.HasPrefix(t, "=") {
		return false
	}
	t = strings.TrimLeft(t[1:], " \t")
	if !strings.HasPrefix(t, "DMARC1") {
		return false
	}
	t = strings.TrimLeft(t[len("DMARC1"):], " \t")
	return t == "" || t[0] == ';'
}

// ParseDMARC parses a DMARC record (RFC 7489 6.4, the ABNF). It fails when
// receivers apply no policy at all: the record is not v=DMARC1, or p (or
// sp) is missing or invalid with no valid rua to fall back on (RFC 7489
// 6.6.3); and when a tag appears twice, which makes the record invalid
// (RFC 7489 6.3, RFC 6376 3.2) though some receivers read it anyway: the
// error is then a *DMARCRepeatError. Any other malformed tag is discarded
// in favour of its default, as RFC 7489 6.3 tells receivers to do, and
// listed in Problems.
func ParseDMARC(s string) (*DMARCRecord, error) {
	if !IsDMARC(s) {
		return nil, dmarcErr("the record does not start with \"v=DMARC1\"")
	}
	if e := repeatedTags(s); e != nil {
		return nil, e
	}
	r := &DMARCRecord{ADKIM: "r", ASPF: "r", Pct: 100, RI: 86400}
	bad := func(tag, val, problem, effect string) {
		r.Problems = append(r.Problems, DMARCProblem{Tag: tag, Value: val, Problem: problem, Effect: effect})
	}
	var badP, badSP string
	n := 0 // tags seen, v included
	for _, part := range strings.Split(s, ";") {
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		n++
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			bad("", part, fmt.Sprintf("holds %q, which is not tag=value", part), "receivers ignore that part")
			continue
		}
		k, v = strings.ToLower(strings.Trim(k, " \t")), strings.Trim(v, " \t")
		if n == 1 {
			continue // v=DMARC1, checked above
		}
		switch k {
		case "p", "sp":
			lv := strings.ToLower(v)
			if lv != "none" && lv != "quarantine" && lv != "reject" {
				if k == "p" {
					badP = v
				} else {
					badSP = v
				}
				break
			}
			if k == "p" {
				r.Policy, r.pNotSecond = lv, n != 2
			} else {
				r.SubPolicy = lv
			}
		case "np":
			lv := strings.ToLower(v)
			if lv != "none" && lv != "quarantine" && lv != "reject" {
				bad(k, v, "is not none, quarantine or reject", "receivers that know np (RFC 9091) ignore it and apply sp, or p, to subdomains that do not exist")
				break
			}
			r.NP = lv
		case "adkim", "aspf":
			lv := strings.ToLower(v)
			if lv != "r" && lv != "s" {
				bad(k, v, "is not r (relaxed) or s (strict)", "receivers use the default, r (relaxed)")
				break
			}
			if k == "adkim" {
				r.ADKIM = lv
			} else {
				r.ASPF = lv
			}
		case "pct":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				bad(k, v, "is not a number from 0 to 100", "receivers use the default, pct=100")
				break
			}
			r.Pct = n
		case "ri":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				bad(k, v, "is not a number of seconds", "receivers use the default, one report a day")
				break
			}
			r.RI = int(n)
		case "rua", "ruf":
			uris, errs := parseDMARCURIs(v)
			for _, e := range errs {
				effect := "receivers send no reports to it"
				if len(uris) == 0 {
					effect = "receivers send no " + map[string]string{"rua": "aggregate", "ruf": "failure"}[k] + " reports at all"
				}
				bad(k, e.uri, e.problem, effect)
			}
			if k == "rua" {
				r.RUA = uris
			} else {
				r.RUF = uris
			}
		case "fo":
			ok := true
			for _, o := range strings.Split(v, ":") {
				o = strings.Trim(o, " \t")
				if o != "0" && o != "1" && o != "d" && o != "s" {
					bad(k, v, fmt.Sprintf("option %q is not 0, 1, d or s", o), "receivers use the default, fo=0")
					ok = false
					break
				}
			}
			if ok {
				r.FO = v
			}
		case "rf":
			ok := true
			for _, o := range strings.Split(v, ":") {
				if strings.ToLower(strings.Trim(o, " \t")) != "afrf" {
					bad(k, v, "is not afrf, the only report format", "receivers use the default, afrf")
					ok = false
					break
				}
			}
			if ok {
				r.RF = v
			}
		default:
			r.Unknown = append(r.Unknown, k)
		}
	}
	// RFC 7489 6.6.3: without a valid p (or with an invalid sp), receivers
	// act as if p=none when rua holds a valid URI, and apply no policy
	// otherwise.
	switch {
	case badP != "" && len(r.RUA) == 0:
		return nil, dmarcErr("p=%q is not none, quarantine or reject", badP)
	case badSP != "" && len(r.RUA) == 0:
		return nil, dmarcErr("sp=%q is not none, quarantine or reject", badSP)
	case r.Policy == "" && badP == "" && len(r.RUA) == 0:
		return nil, dmarcErr("the required p tag is missing")
	}
	// Both are reported when both are wrong, so that the record proposed
	// instead mends both.
	if badP != "" {
		r.Policy = "none"
		bad("p", badP, "is not none, quarantine or reject", "receivers act as if the record said p=none (RFC 7489 6.6.3)")
	}
	if badSP != "" {
		r.Policy, r.SubPolicy = "none", ""
		bad("sp", badSP, "is not none, quarantine or reject", "receivers act as if the whole record said p=none, for the domain too (RFC 7489 6.6.3)")
	}
	return r, nil
}

type uriError struct{ uri, problem string }

// parseDMARCURIs parses "mailto:a@example.com!10m, mailto:b@example.net"
// (RFC 7489 6.2, 6.4). It returns the valid URIs without their size
// limits, and the invalid ones with what is wrong.
func parseDMARCURIs(v string) ([]string, []uriError) {
	var out []string
	var errs []uriError
	for _, raw := range strings.Split(v, ",") {
		raw = strings.Trim(raw, " \t")
		if raw == "" {
			errs = append(errs, uriError{raw, "is an empty entry in the list (two commas in a row, or a comma at the end)"})
			continue
		}
		u := raw
		if i := strings.LastIndexByte(u, '!'); i >= 0 {
			size := u[i+1:]
			n := strings.TrimRight(size, "kmgtKMGT")
			if _, err := strconv.ParseUint(n, 10, 64); err != nil || len(size)-len(n) > 1 {
				errs = append(errs, uriError{raw, fmt.Sprintf("has a bad size limit %q (write it as !10m: a number and k, m, g or t)", "!"+size)})
				continue
			}
			u = u[:i]
		}
		scheme, rest, ok := strings.Cut(u, ":")
		if !ok || scheme == "" || rest == "" {
			hint := "is not a URI"
			if strings.Contains(u, "@") {
				hint = "is not a URI: an address needs the mailto: prefix"
			}
			errs = append(errs, uriError{raw, hint})
			continue
		}
		if c := strings.IndexFunc(u, func(c rune) bool { return c <= ' ' || c == 0x7f }); c >= 0 {
			// RFC 3986 2: a URI holds no spaces or control characters
			// (they are written %20, %0A); a receiver cannot send to it.
			errs = append(errs, uriError{raw, fmt.Sprintf("holds %s, which no URI may hold (RFC 3986 2: a space or a control character in a URI is written %%%02X)", charName(u[c]), u[c])})
			continue
		}
		if strings.EqualFold(scheme, "mailto") {
			local, dom, ok := strings.Cut(rest, "@")
			if !ok || local == "" || dom == "" || strings.ContainsAny(dom, "@ ") {
				errs = append(errs, uriError{raw, "is a mailto: without a valid address"})
				continue
			}
			if _, err := url.Parse(u); err != nil {
				errs = append(errs, uriError{raw, fmt.Sprintf("is a mailto: URI that does not parse (%v)", errors.Unwrap(err))})
				continue
			}
		}
		out = append(out, u)
	}
	return out, errs
}

// charName names a character that has no place in a URI: "a line break
// (\n)", "a tab (\t)", "a space", "a control character (\x1b)".
func charName(c byte) string {
	switch c {
	case '\n':
		return `a line break (\n)`
	case '\r':
		return `a carriage return (\r)`
	case '\t':
		return `a tab (\t)`
	case ' ':
		return "a space"
	}
	return fmt.Sprintf(`a control character (\x%02x)`, c)
}
