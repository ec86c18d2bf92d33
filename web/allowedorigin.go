package web

import (
	"fmt"
	"net/url"
	"strings"
)

// CheckAllowedOrigin says why o, an entry of web.allowed_origins, can
// never match a request, nil when it can. A browser sends its page's
// origin whole, scheme://host[:port] (RFC 6454 6.2), its default port
// left out, and the entry is compared with it whole (listedOrigin): a
// host alone, a path, a wildcard or ":443" on https matches nothing, and
// the page it was meant for would be refused with no hint why.
func CheckAllowedOrigin(o string) error {
	const form = "an origin is written whole, as scheme://host[:port], and compared with the browser's Origin whole"
	t := strings.TrimSpace(o)
	switch {
	case strings.EqualFold(t, "null"):
		return fmt.Errorf("%q cannot be allowed: %s", o, nullOrigin)
	case t != o:
		return fmt.Errorf("%q has spaces around it, which a browser's Origin never has: write %q", o, t)
	case strings.Contains(o, "*"):
		return fmt.Errorf("%q is a wildcard, which matches nothing here: %s, so list each origin the page is served from (\"https://ui.corp.test:8443\")", o, form)
	case !strings.Contains(o, "://"):
		return fmt.Errorf("%q has no scheme: %s; write %q (or http://, as the page is served)", o, form, "https://"+strings.TrimPrefix(o, "//"))
	}
	u, err := url.Parse(o)
	if err != nil {
		return fmt.Errorf("%q is not an origin (%v): %s", o, err, form)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q has no host: %s", o, form)
	}
	whole := u.Scheme + "://" + u.Host
	if port := u.Port(); port == "" && strings.HasSuffix(u.Host, ":") ||
		u.Scheme == "http" && port == "80" || u.Scheme == "https" && port == "443" {
		whole = u.Scheme + "://" + strings.TrimSuffix(strings.TrimSuffix(u.Host, ":"+port), ":")
		return fmt.Errorf("%q names the scheme's default port, which a browser leaves out of its Origin: write %q", o, whole)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(o, "#") {
		return fmt.Errorf("%q is more than an origin (a user, a path, a query or a fragment), which a browser's Origin never has: %s; write %q", o, form, whole)
	}
	return nil
}
