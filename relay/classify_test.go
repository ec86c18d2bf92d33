package relay

import "testing"

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
		{"null mx", Reply{Stage: "dns", Code: 556, Enhanced: "5.1.10", Text: "null MX"}, Bounce, "dns-failure"},
		{"tls", Reply{Stage: "starttls", Text: "x509: certificate signed by unknown authority"}, Retry, "tls-failure"},
		{"unknown 5xx", Reply{Stage: "dot", Code: 554, Text: "go away"}, Bounce, "unclassified"},
		{"unknown 4xx", Reply{Stage: "dot", Code: 450, Text: "later"}, Retry, "unclassified"},
		{"auth", Reply{Stage: "auth", Code: 535, Enhanced: "5.7.8", Text: "bad credentials"}, Bounce, "authentication-failure"},
		{"dmarc", Reply{Stage: "dot", Code: 550, Enhanced: "5.7.26", Text: "unauthenticated"}, Bounce, "authentication-failure"},
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
