package main

import "strings"

// checkAddresses refuses an envelope address given by flag (--to, --from)
// that SMTP cannot carry as given: angle brackets, spaces or line breaks.
// send and load share it, so that load does not send what send refuses.
func checkAddresses(flag string, addrs ...string) error {
	for _, a := range addrs {
		if strings.ContainsAny(a, "<>\r\n \t") {
			return usageError("--%s %q: give the bare address (user@example.com) without brackets or spaces", flag, a)
		}
	}
	return nil
}
