package probe

import (
	"net/url"

	"github.com/relaylab/relaylab/internal/config"
)

// RedactURL keeps a webhook URL's scheme and host and hides the rest
// behind config.Redacted: webhook URLs often carry their secret in the
// path or the query (a chat service's incoming hook), or a password in the
// user part. A URL with none of those is returned as it is, and one that
// does not parse is hidden whole. It is the rule `relaylab config`
// prints the webhook URL by.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if raw == "" || (err == nil && u.User == nil && (u.Path == "" || u.Path == "/") && u.RawQuery == "") {
		return raw
	}
	if err != nil || u.Host == "" {
		return config.Redacted
	}
	return u.Scheme + "://" + u.Host + "/" + config.Redacted
}
