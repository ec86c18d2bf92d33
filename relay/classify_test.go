package relay

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier([]Rule{{Code: "550", Text: "custom", Disposition: Retry, Category: "custom"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		reply    Reply
		disp     Disposition
		category string
	}{
		{"unknown user", Reply{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such user"}, Suppress, "invalid-recipient"},
		{"mailbox full 4xx", Reply{Stage: "rcpt", Code: 452, Enhanced: "4.2.2", Text: "full"}, Retry, "mailbox-full"},
		{"gmail rate", Reply{Stage: "rcpt", Code: 421, Enhanced: "4.7.28", Text: "unusual rate"}, Retry, "rate-limited"},
		{"421 plain", Reply{Stage: "mail", Code: 421, Enhanced: "4.3.2", Text: "shutting down"}, Retry, "service-unavailable"},
		{"greylist", Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "Greylisted, try again in 300s"}, Retry, "greylisted"},
		{"spam 5xx", Reply{Stage: "dot", Code: 554, Enhanced: "5.7.1", Text: "message blocked as spam"}, Bounce, "spam-block"},
		{"spam text on a 4xx is never bounced", Reply{Stage: "dot", Code: 451, Enhanced: "4.7.1", Text: "blocked for now"}, Retry, "spam-block"},
		{"user rule on a 5xx is never retried", Reply{Stage: "rcpt", Code: 550, Text: "custom thing"}, Bounce, "custom"},
		{"connection refused", Reply{Stage: "connect", Text: "connection refused"}, Retry, "connection"},
		{"dns", Reply{Stage: "dns", Text: "lookup timed out"}, Retry, "dns-failure"},
		{"null mx", Reply{Stage: "dns", Code: 556, Enhanced: "5.1.10", Text: "null MX"}, Suppress, "no-such-domain"},
		{"nxdomain", noSuchDomain("typo.test"), Suppress, "no-such-domain"},
		{"no mx, no address", noMailHost("bare.test"), Suppress, "no-such-domain"},
		{"mx host without address", Reply{Stage: "dns", Enhanced: "4.4.4", Text: "address lookup for mx.x.test: mx.x.test: no such domain (NXDOMAIN)"}, Retry, "dns-failure"},
		{"servfail", Reply{Stage: "dns", Enhanced: "4.4.3", Text: "MX lookup for x.test: x.test MX: server 127.0.0.1:53 answered SERVFAIL"}, Retry, "dns-failure"},
		{"tls", Reply{Stage: "starttls", Text: "x509: certificate signed by unknown authority"}, Retry, "tls-failure"},
		{"unknown 5xx", Reply{Stage: "dot", Code: 554, Text: "go away"}, Bounce, "unclassified"},
		{"unknown 4xx", Reply{Stage: "dot", Code: 450, Text: "later"}, Retry, "unclassified"},
		{"our credentials refused: the next path, not a bounce", Reply{Stage: "auth", Code: 535, Enhanced: "5.7.8", Text: "bad credentials"}, Reroute, "credentials-refused"},
		{"530 5.7.8 at MAIL refuses the path, not the message", Reply{Stage: "mail", Code: 530, Enhanced: "5.7.8", Text: "authentication required"}, Reroute, "credentials-refused"},
		{"dmarc", Reply{Stage: "dot", Code: 550, Enhanced: "5.7.26", Text: "unauthenticated"}, Bounce, "authentication-failure"},
		// relaylab's own sink, Postfix-like and other wordings of a line
		// over the server's limit: the text decides, whatever the code.
		{"line too long, sink", Reply{Stage: "dot", Code: 500, Enhanced: "5.4.0", Text: "Line too long in the message (RFC 5321 4.5.3.1.6), closing the connection"}, Bounce, "line-too-long"},
		{"line too long, 5.5.2", Reply{Stage: "rcpt", Code: 500, Enhanced: "5.5.2", Text: "Error: line too long"}, Bounce, "line-too-long"},
		{"line length, no enhanced", Reply{Stage: "dot", Code: 554, Text: "Message line length exceeded"}, Bounce, "line-too-long"},
		{"destination resting", Reply{Stage: "shaping", Text: "not tried: destination path:p rests until 2026-03-01T12:10:00Z after a 421 or rate limit"}, Retry, "destination-backoff"},
		{"sending window", Reply{Stage: "shaping", Text: "outside the sending windows of route r"}, Retry, "shaping"},
		{"lost after the dot", Reply{Stage: "dot", Text: "reading the reply: EOF"}, Retry, "connection-lost-after-data"},
		{"timeout after the dot", Reply{Stage: "dot", Text: "reading the reply: read tcp: i/o timeout"}, Retry, "connection-lost-after-data"},
		{"a reply after the dot is not a lost connection", Reply{Stage: "dot", Code: 451, Text: "local error"}, Retry, "unclassified"},
		// RFC 4954: AUTH replies that judge no password.
		{"auth needs tls", Reply{Stage: "auth", Code: 538, Enhanced: "5.7.11", Text: "Encryption required for requested authentication mechanism"}, Reroute, "tls-failure"},
		{"auth mechanism too weak", Reply{Stage: "auth", Code: 534, Enhanced: "5.7.9", Text: "Authentication mechanism is too weak"}, Reroute, "credentials-refused"},
		{"auth temporarily failing", Reply{Stage: "auth", Code: 454, Enhanced: "4.7.0", Text: "Temporary authentication failure"}, Retry, "service-unavailable"},
		{"auth password transition", Reply{Stage: "auth", Code: 432, Enhanced: "4.7.12", Text: "A password transition is needed"}, Reroute, "credentials-refused"},
		{"auth mechanism unknown", Reply{Stage: "auth", Code: 504, Enhanced: "5.5.4", Text: "Unrecognized authentication type"}, Reroute, "auth-not-offered"},
		{"auth needs starttls first", Reply{Stage: "auth", Code: 530, Enhanced: "5.7.0", Text: "Must issue a STARTTLS command first"}, Reroute, "tls-failure"},
		{"mail needs tls", Reply{Stage: "mail", Code: 530, Enhanced: "5.7.0", Text: "Must issue a STARTTLS command first"}, Reroute, "tls-failure"},
		{"mail needs auth", Reply{Stage: "mail", Code: 530, Enhanced: "5.7.0", Text: "Authentication required"}, Reroute, "credentials-refused"},
		{"rcpt needs auth", Reply{Stage: "rcpt", Code: 530, Enhanced: "5.7.0", Text: "Authentication required"}, Reroute, "credentials-refused"},
		{"data needs tls", Reply{Stage: "data", Code: 530, Enhanced: "5.7.0", Text: "Must issue a STARTTLS command first"}, Reroute, "tls-failure"},
		{"a 530 after the dot is judged as any 5xx", Reply{Stage: "dot", Code: 530, Enhanced: "5.7.0", Text: "Authentication required"}, Bounce, "policy"},
		// RFC 3463 X.4.x from the receiving side: what broke past the
		// server, by its detail code.
		{"receiver's bad connection", Reply{Stage: "dot", Code: 451, Enhanced: "4.4.2", Text: "bad connection"}, Retry, "connection"},
		{"receiver's next hop silent", Reply{Stage: "rcpt", Code: 451, Enhanced: "4.4.1", Text: "no answer from host"}, Retry, "connection"},
		{"receiver's directory failure", Reply{Stage: "rcpt", Code: 451, Enhanced: "4.4.3", Text: "directory lookup failed"}, Retry, "dns-failure"},
		{"receiver congested", Reply{Stage: "mail", Code: 452, Enhanced: "4.4.5", Text: "congestion"}, Retry, "service-unavailable"},
		{"receiver's routing loop", Reply{Stage: "dot", Code: 554, Enhanced: "5.4.6", Text: "loop detected"}, Bounce, "routing"},
		{"receiver unable to route", Reply{Stage: "rcpt", Code: 550, Enhanced: "5.4.4", Text: "unable to route"}, Bounce, "routing"},
		{"receiver's own delivery time expired", Reply{Stage: "dot", Code: 451, Enhanced: "4.4.7", Text: "delivery time expired"}, Retry, "routing"},
		{"receiver's other routing status", Reply{Stage: "rcpt", Code: 451, Enhanced: "4.4.0", Text: "routing"}, Retry, "routing"},
		{"lost sending the data", Reply{Stage: "data", Text: "sending the message data: write: broken pipe"}, Retry, "connection"},
		{"lost at greeting", Reply{Stage: "greeting", Text: "reading the reply: EOF"}, Retry, "connection"},
		{"lost at rcpt", Reply{Stage: "rcpt", Text: "reading the reply: read: connection reset by peer"}, Retry, "connection"},
		{"timeout at mail", Reply{Stage: "mail", Text: "reading the reply: i/o timeout"}, Retry, "connection"},
		{"lost at auth is not a credentials problem", Reply{Stage: "auth", Text: "reading the reply: EOF"}, Retry, "connection"},
		{"lost at starttls command", Reply{Stage: "starttls", Text: "reading the reply: EOF"}, Retry, "connection"},
		{"handshake cut", Reply{Stage: "starttls", Text: "TLS handshake: EOF"}, Retry, "tls-failure"},
		{"garbage", Reply{Stage: "ehlo", Text: `malformed reply "HTTP/1.1 400"`}, Retry, "protocol-error"},
		// A reply all the same, though no answer: not "a failure without
		// an SMTP reply".
		{"a 3xx at rcpt", Reply{Stage: "rcpt", Code: 306, Text: "OK"}, Retry, "protocol-error"},
		// The receiving system's own status (RFC 3463 X.3.x).
		{"system busy", Reply{Stage: "rcpt", Code: 451, Enhanced: "4.3.2", Text: "System busy"}, Retry, "service-unavailable"},
		{"local error", Reply{Stage: "dot", Code: 451, Enhanced: "4.3.0", Text: "Requested action aborted: local error"}, Retry, "service-unavailable"},
		{"too big for now", Reply{Stage: "dot", Code: 452, Enhanced: "4.3.4", Text: "message too big for system"}, Retry, "message-too-big"},
		{"a 354 after the dot", Reply{Stage: "dot", Code: 354, Text: "go ahead"}, Retry, "protocol-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := c.Classify(tt.reply)
			if v.Disposition != tt.disp || v.Category != tt.category {
				t.Errorf("Classify(%v) = %s/%s, want %s/%s", tt.reply, v.Disposition, v.Category, tt.disp, tt.category)
			}
			if v.Reason == "" || v.Advice == "" {
				t.Errorf("Classify(%v) explains nothing: %+v", tt.reply, v)
			}
			if strings.Contains(v.Reason+v.Advice, "{stage}") {
				t.Errorf("Classify(%v): placeholder left in %+v", tt.reply, v)
			}
		})
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("rcpt", 550, "5.1.1", "no such user")
	f.Add("dot", 421, "4.7.0", "[TSS04] try later")
	f.Add("", 0, "", "")
	c, err := NewClassifier(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, stage string, code int, enh, text string) {
		r := Reply{Stage: stage, Code: code, Enhanced: enh, Text: text}
		v := c.Classify(r)
		if r.Permanent() && (v.Disposition == Retry || v.Disposition == Reroute) {
			t.Fatalf("5xx %v retried", r)
		}
		if !r.Permanent() && (v.Disposition == Bounce || v.Disposition == Suppress) {
			t.Fatalf("non-5xx %v bounced", r)
		}
	})
}

// TestClassifyReasonsNameTheStage: the reasons of connection failures say
// where the connection was lost, and what that means for duplicates.
func TestClassifyReasonsNameTheStage(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		reply Reply
		want  []string
	}{
		{Reply{Stage: "ehlo", Text: "reading the reply: EOF"}, []string{"at EHLO", "nothing was delivered"}},
		{Reply{Stage: "rcpt", Text: "reading the reply: i/o timeout"}, []string{"at RCPT TO", "did not answer in time"}},
		{Reply{Stage: "dot", Text: "reading the reply: EOF"}, []string{"may already have delivered", "duplicate", "RFC 5321"}},
		{Reply{Stage: "shaping", Text: "not tried: destination d rests until x"}, []string{"nothing was sent", "421"}},
	}
	for _, tt := range tests {
		v := c.Classify(tt.reply)
		for _, w := range tt.want {
			if !strings.Contains(v.Reason, w) {
				t.Errorf("Classify(%v).Reason = %q, want it to say %q", tt.reply, v.Reason, w)
			}
		}
	}
}

func TestStageIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		list, stage string
		want        bool
	}{
		{"rcpt", "rcpt", true},
		{"mail|rcpt", "rcpt", true},
		{"mail | rcpt", "rcpt", true},
		{"mail|rcpt", "rc", false},
		{"mail|rcpt", "", false},
	}
	for _, tt := range tests {
		if got := stageIn(tt.list, tt.stage); got != tt.want {
			t.Errorf("stageIn(%q, %q) = %v", tt.list, tt.stage, got)
		}
	}
}

// TestBlockedByPolicyIsPolicy: "blocked by policy" names no list and no
// spam, so it is the receiver's policy, not spam-block (whose advice,
// "check the sending IP against blocklists", sends the sender the wrong
// way); "blocked using Spamhaus" stays spam-block.
func TestBlockedByPolicyIsPolicy(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text, want string
	}{
		{"Message blocked by policy", "policy"},
		{"Delivery blocked due to local policy restrictions", "policy"},
		{"Rejected: policy block (sender domain)", "policy"},
		{"Client host [192.0.2.7] blocked using zen.spamhaus.org", "spam-block"},
		{"message blocked as spam", "spam-block"},
	} {
		if v := c.Classify(Reply{Stage: "dot", Code: 550, Enhanced: "5.7.1", Text: tc.text}); v.Category != tc.want {
			t.Errorf("%q: %s, want %s", tc.text, v.Category, tc.want)
		}
	}
}
