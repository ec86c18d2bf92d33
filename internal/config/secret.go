package config

import (
	"net/url"
	"slices"
	"strings"
)

// Redacted is what `relaylab config` prints in place of a secret unless
// it is given --show-secrets.
const Redacted = "<redacted>"

// Secret refuses a secret (a password, a token, a URL that carries one)
// that is the marker `relaylab config` prints in its place: a file made
// from that printout would otherwise run with the literal "<redacted>".
// key names the value; an empty value is for the caller to judge.
func Secret(key, value string) error {
	if !strings.Contains(value, Redacted) {
		return nil
	}
	return Errorf(key, "%q is what relaylab config prints in place of a secret: this file came from `relaylab config` without --show-secrets; put the real value back (or print the configuration again with --show-secrets)", value)
}

// Passwords checks a map of user names to passwords, in the order of the
// names: a password must be neither empty, which would let in anyone who
// knows the name, nor the marker `relaylab config` prints. key is the map's key path ("relay.users").
func Passwords(key string, users map[string]string) error {
	names := make([]string, 0, len(users))
	for n := range users {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		k := key + "." + n
		if users[n] == "" {
			return Errorf(k, "user %q has an empty password, which lets in anyone who knows the name: give it a password", n)
		}
		if err := Secret(k, users[n]); err != nil {
			return err
		}
	}
	return nil
}

// Password checks the password of a client that logs in as user: not the
// marker `relaylab config` prints, not empty when there is a user, and
// not given without a user (it would never be sent).
func Password(key, user, password string) error {
	if user == "" && password != "" {
		return Errorf(key, "a password without a username is never sent (AUTH needs both): add the username, or remove the password to send without AUTH")
	}
	if user != "" && password == "" {
		return Errorf(key, "username %q has no password: give its password, or remove the username to send without AUTH", user)
	}
	return Secret(key, password)
}

// RedactURL keeps a webhook URL's scheme and host and hides the rest
// behind Redacted: webhook URLs often carry their secret in the
// path or the query (a chat service's incoming hook), or a password in the
// user part. A URL with none of those is returned as it is, and one that
// does not parse is hidden whole. `relaylab config` prints the webhook URL
// by it, and the probe's webhook names its receiver by it in logs.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if raw == "" || (err == nil && u.User == nil && (u.Path == "" || u.Path == "/") && u.RawQuery == "") {
		return raw
	}
	if err != nil || u.Host == "" {
		return Redacted
	}
	return u.Scheme + "://" + u.Host + "/" + Redacted
}
