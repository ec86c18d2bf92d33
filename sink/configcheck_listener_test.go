package sink

import (
	"strings"
	"testing"
)

// A listener's values that would be taken without doing what they say
// are refused at their own key, with what is allowed and the name meant.
func TestListenerValuesRefusedAtTheirKey(t *testing.T) {
	t.Parallel()
	l := "sink:\n  listeners:\n    - name: mx2\n      listen: 127.0.0.1:0\n"
	tests := []struct {
		name, doc string
		want      []string
	}{
		// STARTLS would hide nothing, and STARTTLS would still be offered.
		{"hide typo", l + "      hide: [dsn, STARTLS]\n",
			[]string{"sink.yaml:5:", "sink.listeners[0].hide[1]:", `"STARTLS": no extension`, `did you mean "STARTTLS"?`, "PIPELINING, 8BITMIME", "SMTPUTF8"}},
		{"hide unknown", l + "      hide:\n        - BINARYMIME\n",
			[]string{"sink.yaml:6:", "sink.listeners[0].hide[0]:", `"BINARYMIME": no extension`, "a listener can hide PIPELINING"}},
		// A refusing greeting is a connect rule's, not 220 + text.
		{"greeting with a code", l + "      greeting: \"554 go away\"\n",
			[]string{"sink.yaml:5:", "sink.listeners[0].greeting:", `"554 go away"`, "still be a 220", "stage: connect"}},
		{"tls typo", l + "      tls: implict\n",
			[]string{"sink.yaml:5:", "sink.listeners[0].tls:", `"implict": want starttls, implicit or none (did you mean "implicit"?)`}},
		{"negative max_recipients", l + "      limits:\n        max_connections: 3\n        max_recipients: -1\n",
			[]string{"sink.yaml:7:", "sink.listeners[0].limits.max_recipients: -1: must not be negative"}},
		{"negative burst", l + "      limits: {rate: {per_second: 1, burst: -2}}\n",
			[]string{"sink.listeners[0].limits.rate.burst: -2: must not be negative"}},
		{"rate reply 2xx", l + "      limits: {rate: {per_second: 1, reply: \"250 2.0.0 fine\"}}\n",
			[]string{"sink.listeners[0].limits.rate.reply:", "want a 4xx or 5xx reply"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeSink(t, tc.doc)
			wantInOrder(t, tc.name, err, tc.want...)
		})
	}
	// What is allowed still loads: names in any case, a greeting that
	// only has digits later, a 5xx rate reply.
	ok := l + "      hide: [dsn, StartTLS, limits, SMTPUTF8]\n      greeting: \"ESMTP 2024 edition\"\n      limits: {rate: {per_second: 1, reply: \"554 5.7.1 go slower\"}}\n"
	if _, err := decodeSink(t, ok); err != nil {
		t.Errorf("allowed values: %v", err)
	}
	if _, err := decodeSink(t, l+"      tls: tcp\n"); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("tls: tcp: got %v, want an error without a guess", err)
	}
}
