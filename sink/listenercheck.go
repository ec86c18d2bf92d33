package sink

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
)

// hideable are the extensions a listener's hide list can take away: those
// of its EHLO reply (go-smtp's, and STARTTLS, AUTH and LIMITS, which the
// sink adds).
var hideable = []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING", "STARTTLS", "AUTH", "SMTPUTF8", "DSN", "SIZE", "LIMITS"}

// checkHide refuses a name in a hide list that is no extension the sink
// offers: it would hide nothing, and the extension meant (STARTLS for
// STARTTLS) would still be offered.
func checkHide(key string, hide []string) error {
	for i, h := range hide {
		ok := false
		for _, x := range hideable {
			ok = ok || strings.EqualFold(h, x)
		}
		if !ok {
			return config.Errorf(fmt.Sprintf("%s[%d]", key, i), "%q: no extension of that name is offered, so hiding it would change nothing%s; a listener can hide %s (in any case)",
				h, didYouMean(strings.ToUpper(h), hideable), strings.Join(hideable, ", "))
		}
	}
	return nil
}

// didYouMean is " (did you mean X?)" for the one of names word is nearest
// to, or "".
func didYouMean(word string, names []string) string {
	if n := config.Nearest(word, names); n != "" {
		return " (did you mean " + strconv.Quote(n) + "?)"
	}
	return ""
}

// codeFirst: a greeting text that starts with a reply code.
var codeFirst = regexp.MustCompile(`^[0-9]{3}([ -]|$)`)

// checkGreeting refuses a greeting text that starts with a reply code
// ("554 go away"): the text goes after "220 HOSTNAME ESMTP", so the client
// would be welcomed with 220 all the same. A refusing greeting is a rule's.
func checkGreeting(key, greeting string) error {
	if !codeFirst.MatchString(greeting) {
		return nil
	}
	return config.Errorf(key, "%q: the greeting is the text after \"220 HOSTNAME ESMTP\", so this would still be a 220 that welcomes the client; "+
		"to answer connections with another code, use a rule of stage connect, such as {stage: connect, reply: \"554 5.7.1 go away\"}, and leave greeting: for the 220's text", greeting)
}

// checkHideAuth refuses a hide list that leaves a listener unable to take
// mail, or AUTH: hiding AUTH where auth.mode is required (MAIL needs an
// AUTH the listener answers with 502), and hiding STARTTLS where
// auth.require_tls takes AUTH only under TLS and TLS could start only by
// STARTTLS (as tls: none is refused with require_tls). k is the
// listener's key.
func checkHideAuth(k string, l *ListenerConfig) error {
	for i, h := range l.Hide {
		key := fmt.Sprintf("%s.hide[%d]", k, i)
		switch {
		case strings.EqualFold(h, "AUTH") && l.Auth.Mode == "required":
			return config.Errorf(key, "%q with auth.mode required: MAIL needs an AUTH first, and a hidden AUTH gets 502, so the listener could never take mail; remove AUTH from hide, or set auth.mode to optional or off", h)
		case strings.EqualFold(h, "STARTTLS") && l.Auth.RequireTLS && l.TLS != "implicit" && l.TLS != "none":
			never := "no AUTH could ever be taken"
			if l.Auth.Mode == "required" {
				never += ", nor mail, since auth.mode is required"
			}
			return config.Errorf(key, "%q with auth.require_tls: AUTH is taken only under TLS, and a hidden STARTTLS gets 502, so TLS never starts and %s; remove STARTTLS from hide, remove require_tls, or give the listener tls: implicit", h, never)
		}
	}
	return nil
}

// checkHostname refuses a listener's hostname that is neither a domain
// name nor an address literal, as an EHLO argument would be refused
// (heloFault): the greeting, the EHLO reply and the DSNs name the
// listener by it (RFC 5321 4.2: 220 SP domain), and a client may check
// it. A port after it belongs in listen:.
func checkHostname(key, host string) error {
	why := heloFault(host, false)
	if why == "" {
		return nil
	}
	if h, port, err := net.SplitHostPort(host); err == nil && port != "" && strings.Trim(port, "0123456789") == "" && heloFault(h, false) == "" {
		return config.Errorf(key, "%q: a hostname is a name alone, without a port: write hostname: %s, and the port in listen: (127.0.0.1:%s)", host, h, port)
	}
	return config.Errorf(key, "%s: a listener's hostname is the domain (or address literal, [192.0.2.1]) its greeting and EHLO reply give", why)
}

// checkTLSMode refuses a listener's tls: that is none of the modes, with
// the one meant: the modes are written in lower case, and a yes or no
// (true, false) says whether, where the key says how.
func checkTLSMode(key, mode string) error {
	modes := []string{"starttls", "implicit", "none"}
	switch {
	case mode == "" || slices.Contains(modes, mode):
		return nil
	case slices.Contains(modes, strings.ToLower(mode)):
		return config.Errorf(key, "%q: write it in lower case, %s", mode, strings.ToLower(mode))
	}
	hint := didYouMean(mode, modes)
	switch strings.ToLower(mode) {
	case "true", "yes", "on", "tls", "ssl":
		hint = " (starttls, the default, offers STARTTLS on a plain connection, as port 25 and 587 do; implicit is TLS from the first byte, as port 465 is)"
	case "false", "no", "off", "plain":
		hint = " (none offers no TLS at all)"
	}
	return config.Errorf(key, "%q: want starttls, implicit or none%s", mode, hint)
}
