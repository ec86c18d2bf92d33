package probe

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DMARCRecord is a parsed DMARC policy record (RFC 7489 6.3).
type DMARCRecord struct {
	Policy    string   `json:"p"`            // none, quarantine, reject
	SubPolicy string   `json:"sp,omitempty"` // "" when absent (p applies)
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
}

// ErrDMARCSyntax is wrapped by ParseDMARC errors.
var ErrDMARCSyntax = errors.New("DMARC syntax error")

func dmarcErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDMARCSyntax, fmt.Sprintf(format, args...))
}

// IsDMARC reports whether a TXT record is a DMARC record candidate: it
// starts with "v=DMARC1" (RFC 7489 6.6.3 discards the others).
func IsDMARC(txt string) bool {
	t := strings.TrimLeft(txt, " \t")
	if !strings.HasPrefix(t, "v") {
		return false
	}
	t = strings.TrimLeft(t[1:], " \t")
	if !strings.HasPrefix(t, "=") {
		return false
	}
	t = strings.TrimLeft(t[1:], " \t")
	return strings.HasPrefix(t, "DMARC1") && (len(t) == 6 || strings.ContainsRune("; \t", rune(t[6])))
}

// ParseDMARC parses a DMARC record (RFC 7489 6.4, the ABNF).
func ParseDMARC(s string) (*DMARCRecord, error) {
	if !IsDMARC(s) {
		return nil, dmarcErr("the record does not start with \"v=DMARC1\"")
	}
	r := &DMARCRecord{ADKIM: "r", ASPF: "r", Pct: 100, RI: 86400}
	seen := map[string]bool{}
	for i, part := range strings.Split(s, ";") {
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, dmarcErr("%q is not tag=value", part)
		}
		k, v = strings.ToLower(strings.Trim(k, " \t")), strings.Trim(v, " \t")
		if seen[k] {
			return nil, dmarcErr("tag %q appears twice", k)
		}
		seen[k] = true
		if i == 0 {
			continue // v=DMARC1, checked above
		}
		switch k {
		case "v":
			return nil, dmarcErr("v must be the first tag")
		case "p", "sp":
			v = strings.ToLower(v)
			if v != "none" && v != "quarantine" && v != "reject" {
				return nil, dmarcErr("%s=%q is not none, quarantine or reject", k, v)
			}
			if k == "p" {
				r.Policy = v
			} else {
				r.SubPolicy = v
			}
		case "adkim", "aspf":
			v = strings.ToLower(v)
			if v != "r" && v != "s" {
				return nil, dmarcErr("%s=%q is not r (relaxed) or s (strict)", k, v)
			}
			if k == "adkim" {
				r.ADKIM = v
			} else {
				r.ASPF = v
			}
		case "pct":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				return nil, dmarcErr("pct=%q is not a number from 0 to 100", v)
			}
			r.Pct = n
		case "ri":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return nil, dmarcErr("ri=%q is not a number of seconds", v)
			}
			r.RI = int(n)
		case "rua", "ruf":
			uris, err := parseDMARCURIs(v)
			if err != nil {
				return nil, dmarcErr("%s: %v", k, err)
			}
			if k == "rua" {
				r.RUA = uris
			} else {
				r.RUF = uris
			}
		case "fo":
			for _, o := range strings.Split(v, ":") {
				o = strings.Trim(o, " \t")
				if o != "0" && o != "1" && o != "d" && o != "s" {
					return nil, dmarcErr("fo option %q is not 0, 1, d or s", o)
				}
			}
			r.FO = v
		case "rf":
			for _, o := range strings.Split(v, ":") {
				if strings.ToLower(strings.Trim(o, " \t")) != "afrf" {
					return nil, dmarcErr("rf=%q: the only report format is afrf", v)
				}
			}
			r.RF = v
		default:
			r.Unknown = append(r.Unknown, k)
		}
	}
	if r.Policy == "" {
		// RFC 7489 6.6.3: without a valid p, use none if rua is valid.
		if len(r.RUA) == 0 {
			return nil, dmarcErr("the required p tag is missing")
		}
	}
	return r, nil
}

// parseDMARCURIs parses "mailto:a@example.com!10m, mailto:b@example.net"
// (RFC 7489 6.2, 6.4). It returns the URIs without their size limits.
func parseDMARCURIs(v string) ([]string, error) {
	var out []string
	for _, u := range strings.Split(v, ",") {
		u = strings.Trim(u, " \t")
		if u == "" {
			return nil, errors.New("empty URI in the list")
		}
		if i := strings.LastIndexByte(u, '!'); i >= 0 {
			size := u[i+1:]
			n := strings.TrimRight(size, "kmgtKMGT")
			if _, err := strconv.ParseUint(n, 10, 64); err != nil || len(size)-len(n) > 1 {
				return nil, fmt.Errorf("%q has a bad size limit", u)
			}
			u = u[:i]
		}
		scheme, rest, ok := strings.Cut(u, ":")
		if !ok || scheme == "" || rest == "" {
			return nil, fmt.Errorf("%q is not a URI such as mailto:dmarc@example.com", u)
		}
		if strings.EqualFold(scheme, "mailto") {
			local, dom, ok := strings.Cut(rest, "@")
			if !ok || local == "" || dom == "" || strings.ContainsAny(dom, "@ ") {
				return nil, fmt.Errorf("%q is not a mailto: with an address", u)
			}
		}
		out = append(out, u)
	}
	return out, nil
}
