package sink

import (
	"fmt"
	"regexp"
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
