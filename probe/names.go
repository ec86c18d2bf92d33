package probe

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
)

// ErrIPAddress is the error of DomainName for an IP address, which each
// caller follows with where an address goes instead (--ip, probe.ips).
var ErrIPAddress = errors.New("it is an IP address, not a domain name")

// CheckName checks a host name of letters, digits and hyphens in labels
// separated by dots (RFC 1123 2.1), allowing underscores when underscore
// is set (DKIM selectors, RFC 6376 3.1). relaylab probe, dkim keygen and
// the watchlist check every name they query or publish with it, so that
// the command line and the configuration take the same names.
func CheckName(s string, underscore bool) error {
	if s == "" {
		return errors.New("it is empty")
	}
	// RFC 1035 2.3.4: at most 63 bytes per label, 255 in all (253 in text).
	if len(s) > 253 {
		return fmt.Errorf("it is %d characters long, more than 253", len(s))
	}
	for _, label := range strings.Split(s, ".") {
		switch {
		case label == "":
			return errors.New("it has an empty label (two dots in a row, or a dot at the start)")
		case len(label) > 63:
			return fmt.Errorf("label %q is longer than 63 characters", label)
		case label[0] == '-' || label[len(label)-1] == '-':
			return fmt.Errorf("label %q starts or ends with a hyphen", label)
		}
		for _, c := range label {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || underscore && c == '_'
			if !ok && underscore {
				return fmt.Errorf("label %q holds %q: use letters, digits, hyphens and underscores", label, c)
			}
			if !ok {
				return fmt.Errorf("label %q holds %q: use letters, digits and hyphens", label, c)
			}
		}
	}
	return nil
}

// DomainName checks a domain or host name to probe (a watched domain, a
// HELO name) and returns it in lower case without a final dot, in
// A-labels when it is an IDN. It takes
// names of two labels or more that CheckName takes, and refuses an IP
// address (ErrIPAddress), whose probe would ask for _dmarc.192.0.2.50
// and the like: RFC 3696 2 lets no top-level domain be all digits.
func DomainName(s string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if _, err := netip.ParseAddr(strings.Trim(d, "[]")); err == nil {
		return d, ErrIPAddress
	}
	if strings.ContainsFunc(d, func(c rune) bool { return c >= 0x80 }) {
		// An IDN in U-labels is queried in A-labels (RFC 5890 2.3.2.1,
		// RFC 8616), as relay.dkim takes it: bücher.test is
		// xn--bcher-kva.test.
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return d, fmt.Errorf("it is not a domain name that can be written in A-labels (RFC 5891): %v", err)
		}
		d = strings.ToLower(a)
	}
	if err := CheckName(d, false); err != nil {
		return d, err
	}
	if !strings.Contains(d, ".") {
		return d, errors.New("it has one label")
	}
	if tld := d[strings.LastIndex(d, ".")+1:]; strings.Trim(tld, "0123456789") == "" {
		return d, fmt.Errorf("its last label, %q, is all digits, which no top-level domain is (RFC 3696 2)", tld)
	}
	return d, nil
}

// SelectorName checks a DKIM selector (one or more labels, which may hold
// underscores; RFC 6376 3.1) and returns it in lower case.
func SelectorName(s string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	return n, CheckName(n, true)
}
