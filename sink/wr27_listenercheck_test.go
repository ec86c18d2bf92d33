package sink

import "testing"

// A listener's hostname is what its greeting and EHLO reply name: one
// that no EHLO could give (a port after it, two dots, a bad literal) is
// refused at its key, and a tls: mode in capitals or as yes/no is told
// how it is written.
func TestWR27ListenerHostnameAndTLS(t *testing.T) {
	t.Parallel()
	doc := func(extra string) string {
		return "sink:\n  listeners:\n    - {name: mx, listen: \"127.0.0.1:0\", " + extra + "}\n"
	}
	for _, tc := range []struct {
		extra string
		want  []string
	}{
		{`hostname: "mx1.qa.test:25"`, []string{"sink.yaml:3:", "sink.listeners[0].hostname:", "without a port: write hostname: mx1.qa.test, and the port in listen: (127.0.0.1:25)"}},
		{`hostname: "mx1..qa.test"`, []string{"sink.listeners[0].hostname:", "neither a domain name nor an address literal", "empty label"}},
		{`hostname: "[127.0.0]"`, []string{"sink.listeners[0].hostname:", "not an IPv4 address literal"}},
		{`hostname: "https://mx.test"`, []string{"sink.listeners[0].hostname:", "':' is not a letter"}},
		{`tls: STARTTLS`, []string{"sink.listeners[0].tls:", `"STARTTLS": write it in lower case, starttls`}},
		{`tls: yes`, []string{"sink.listeners[0].tls:", "want starttls, implicit or none (starttls, the default"}},
		{`tls: off`, []string{"sink.listeners[0].tls:", "(none offers no TLS at all)"}},
		{`tls: startls`, []string{`did you mean "starttls"?`}},
	} {
		_, err := decodeSink(t, doc(tc.extra))
		wantInOrder(t, tc.extra, err, tc.want...)
	}
	for _, ok := range []string{`hostname: "[127.0.0.1]"`, `hostname: "[IPv6:::1]"`, `hostname: my_pc.test`, `hostname: mx.test.`, `hostname: localhost`, `tls: none`} {
		if _, err := decodeSink(t, doc(ok)); err != nil {
			t.Errorf("%s: %v, want it taken", ok, err)
		}
	}
}
