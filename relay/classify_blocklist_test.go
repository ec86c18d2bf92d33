package relay

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// profileReplies are the replies of the sink's provider profiles
// (sink/profiles.yaml, whose every reply TestClassifySinkProfiles checks is
// here), with the category each must get. The sink stage data-end is the
// relay's stage dot.
var profileReplies = []struct {
	stage, reply, category string
}{
	{"rcpt", "550-5.1.1 The mailbox you tried to reach does not exist. Check the\n550-5.1.1 address for typos or unneeded spaces. To learn more, see\n550 5.1.1 https://support.example.test/mail/?p=NoSuchUser\n", "invalid-recipient"},
	{"rcpt", "421-4.7.28 Our system has detected an unusual rate of mail from your IP\n421-4.7.28 address. To protect our users, this mail has been temporarily\n421 4.7.28 limited. https://support.example.test/mail/?p=RateLimited\n", "rate-limited"},
	{"rcpt", "452-4.2.2 The recipient's inbox is out of storage space. Please direct\n452 4.2.2 the recipient to https://support.example.test/mail/?p=OverQuota\n", "mailbox-full"},
	{"dot", "550-5.7.26 This mail has no authentication: neither SPF nor DKIM passes\n550-5.7.26 for the sender's domain. To protect our users from spam, we\n550 5.7.26 reject it. https://support.example.test/mail/?p=Unauthenticated\n", "authentication-failure"},
	{"dot", "550-5.7.1 Our system has found this message likely to be unsolicited\n550-5.7.1 mail. To lower the risk, review our bulk sender guidelines.\n550 5.7.1 https://support.example.test/mail/?p=Spam\n", "spam-block"},
	{"dot", "554 delivery error: dd There is no account by this name here", "invalid-recipient"},
	{"mail", "421 4.7.0 [TSS04] Messages from your address are deferred for now because of unusual volume or user complaints; see https://help.example.test/postmaster/errors", "rate-limited"},
	{"rcpt", "421 4.7.0 [TSS04] Messages from your address are deferred for now because of unusual volume or user complaints; see https://help.example.test/postmaster/errors", "rate-limited"},
	{"rcpt", "550 5.5.0 Requested action not taken: mailbox unavailable (the address does not exist here)", "invalid-recipient"},
	{"rcpt", "550 5.7.1 Unfortunately, messages from your IP were not delivered because it is on our block list (S3150). You can ask for removal at https://sender.example.test", "spam-block"},
	{"mail", "550 5.7.1 Unfortunately, messages from your IP were not sent: part of your network is on our block list (S3140). You can ask for removal at https://sender.example.test", "spam-block"},
	{"rcpt", "451 4.7.500 Server busy. Please try again later from your IP address (AS843)", "rate-limited"},
	{"dot", "421-4.7.26 This mail has been rate limited because it is unauthenticated:\n421-4.7.26 all senders must authenticate with SPF or DKIM, and neither passed.\n421 4.7.26 https://support.example.test/mail/?p=Unauthenticated\n", "authentication-failure"},
	{"dot", "451-4.7.26 Unauthenticated mail from the sender's domain is not accepted\n451-4.7.26 under its DMARC policy, but a temporary DNS failure kept us from\n451 4.7.26 checking it. Try again later. https://support.example.test/mail/?p=Dmarc\n", "authentication-failure"},
	{"dot", "550-5.7.26 Unauthenticated mail from the sender's domain is not accepted\n550-5.7.26 due to the domain's DMARC policy. Ask the domain's administrator\n550 5.7.26 if this mail was legitimate. https://support.example.test/mail/?p=Dmarc\n", "authentication-failure"},
	{"dot", "550-5.7.26 The MAIL FROM domain has an SPF record with a hard fail policy\n550-5.7.26 (-all), and this mail fails SPF from your IP, so it is blocked\n550 5.7.26 to protect our users. https://support.example.test/mail/?p=Spf\n", "authentication-failure"},
	{"dot", "550-5.7.27 This mail has been blocked because it did not pass SPF: bulk\n550-5.7.27 senders must authenticate their mail with SPF.\n550 5.7.27 https://support.example.test/mail/?p=Spf\n", "authentication-failure"},
	{"dot", "550-5.7.25 This mail has been blocked because the sending IP address has\n550-5.7.25 no PTR record, or its forward DNS entry does not point back to\n550 5.7.25 the sending IP. https://support.example.test/mail/?p=Ptr\n", "authentication-failure"},
	{"dot", "550 5.7.9 This mail has been blocked because the sender is unauthenticated: all senders must authenticate with SPF or DKIM; see https://help.example.test/postmaster/errors", "authentication-failure"},
	{"dot", "554 5.7.9 Message not accepted for policy reasons: it fails the DMARC policy of the sender's domain; see https://help.example.test/postmaster/errors", "authentication-failure"},
	{"rcpt", "421 4.7.0 [TS01] Messages from your IP are temporarily deferred due to user complaints; see https://help.example.test/postmaster/errors", "spam-block"},
	{"rcpt", "421 4.7.0 [TS02] Messages from your IP are temporarily deferred due to user complaints; see https://help.example.test/postmaster/errors", "spam-block"},
	{"rcpt", "421 4.7.1 [TS03] All messages from your IP will be permanently deferred; Retrying will NOT succeed. See https://help.example.test/postmaster/errors", "spam-block"},
	{"rcpt", "553 5.7.2 [TSS09] All messages from your IP will be permanently deferred; Retrying will NOT succeed. See https://help.example.test/postmaster/errors", "spam-block"},
	{"rcpt", "451 4.7.650 The mail server [127.0.0.1] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://sender.example.test (S775)", "rate-limited"},
	{"rcpt", "550 5.7.606 Access denied, banned sending IP [127.0.0.1]. To request removal from this list, visit https://sender.example.test and follow the directions", "spam-block"},
	{"rcpt", "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP", "spam-block"},
}

// parseReplyLine splits "550 5.7.1 text" as the relay's client does, and
// a reply of several lines ("550-5.1.1 ...\n550 5.1.1 ...") into its code,
// its enhanced code and its lines' texts joined by "\n".
func parseReplyLine(t *testing.T, stage, reply string) Reply {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(reply, "\n"), "\n")
	code, err := strconv.Atoi(lines[0][:3])
	if err != nil {
		t.Fatalf("reply %q has no code", reply)
	}
	r := Reply{Stage: stage, Code: code}
	var texts []string
	for _, l := range lines {
		texts = append(texts, l[4:])
	}
	if enh, rest, _ := strings.Cut(texts[0], " "); isEnhanced(enh) {
		r.Enhanced, texts[0] = enh, rest
		for i := 1; i < len(texts); i++ {
			texts[i] = strings.TrimPrefix(texts[i], enh+" ")
		}
	}
	r.Text = strings.Join(texts, "\n")
	return r
}

// TestClassifySinkProfiles: every reply of the sink's provider profiles
// gets its category; the Microsoft-like "block list" is spam-block, not
// policy.
func TestClassifySinkProfiles(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profileReplies {
		r := parseReplyLine(t, p.stage, p.reply)
		if v := c.Classify(r); v.Category != p.category {
			t.Errorf("Classify(%v) = %s, want %s", r, v.Category, p.category)
		}
	}

	data, err := os.ReadFile("../sink/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cat struct {
		Profiles []struct {
			Rules []struct {
				Reply string `yaml:"reply"`
			} `yaml:"rules"`
		} `yaml:"profiles"`
	}
	if err := yaml.Unmarshal(data, &cat); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, p := range profileReplies {
		known[p.reply] = true
	}
	for _, p := range cat.Profiles {
		for _, r := range p.Rules {
			// As the sink sends it to a client on 127.0.0.1.
			sent := strings.ReplaceAll(r.Reply, "{client_ip}", "127.0.0.1")
			if r.Reply != "" && !known[sent] {
				t.Errorf("sink/profiles.yaml has a reply this test does not classify; add it to profileReplies: %q", r.Reply)
			}
		}
	}
}

// TestClassifyBlocklistWordings: the ways receivers say that the sending
// IP or domain is listed are all spam-block, whatever they spell "block
// list" as; the 4xx among them are retried.
func TestClassifyBlocklistWordings(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		stage, reply string
		disp         Disposition
	}{
		// Spamhaus via Postfix's reject_rbl_client.
		{"rcpt", "554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.7", Bounce},
		// Outlook.com.
		{"rcpt", "550 5.7.1 Unfortunately, messages from [192.0.2.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", Bounce},
		{"mail", "550 5.7.1 Service unavailable, Client host [192.0.2.7] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.7 (AS3130)", Bounce},
		// Microsoft 365.
		{"rcpt", "550 5.7.606 Access denied, banned sending IP [192.0.2.7]. To request removal from this list please visit https://sender.office.com/ and follow the directions.", Bounce},
		// Gmail.
		{"dot", "550 5.7.1 [192.0.2.7] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.", Bounce},
		// Other spellings.
		{"rcpt", "554 5.7.1 Your IP address is on our blocklist", Bounce},
		{"rcpt", "554 5.7.1 Your IP address is on a block-list", Bounce},
		{"rcpt", "550 5.7.1 Client host 192.0.2.7 is blacklisted", Bounce},
		{"rcpt", "550 5.7.1 Sender domain is on a black list", Bounce},
		{"rcpt", "550 5.7.1 192.0.2.7 is on our denylist", Bounce},
		{"rcpt", "550 5.7.1 Sending IP found on a deny list", Bounce},
		{"rcpt", "554 5.7.1 Rejected: 192.0.2.7 listed at bl.spamcop.net", Bounce},
		{"greeting", "554 5.7.1 Rejected by DNSBL check", Bounce},
		{"rcpt", "450 4.7.1 Client host rejected: your IP is on our block list for now", Retry},
	} {
		r := parseReplyLine(t, tt.stage, tt.reply)
		if v := c.Classify(r); v.Category != "spam-block" || v.Disposition != tt.disp {
			t.Errorf("Classify(%v) = %s/%s, want %s/spam-block", r, v.Disposition, v.Category, tt.disp)
		}
	}
}
