package sink

import "github.com/relaylab/relaylab/internal/config"

// What a key that a listener, a rule or a profile does not have most
// likely meant, for the error that names it (config.KeyAdviser): words
// of other tools (to:, from:, code:), or a listener given what is the
// sink's as a whole.
var (
	_ config.KeyAdviser = ListenerConfig{}
	_ config.KeyAdviser = Rule{}
	_ config.KeyAdviser = ProfileConfig{}
	_ config.KeyAdviser = Limits{}
)

// UnknownKeyAdvice says where a listener's behaviour is written: rules
// and profiles are the sink's, for every listener, and a rule's
// listener: limits it to one.
func (ListenerConfig) UnknownKeyAdvice(key string) string {
	switch key {
	case "rules", "rule", "behaviour", "behavior", "reply", "replies", "actions":
		return `the sink's rules are for all its listeners, under sink.rules: give a rule listener: and this listener's name to make it this listener's alone, as in sink: {rules: [{stage: rcpt, listener: mx2, reply: "451 4.3.2 busy"}]}`
	case "profile", "profiles", "provider":
		return `a provider profile answers by the recipient's domain, whichever listener the mail comes to: map domains to it with sink.profiles ("*.test": gmail), or write sink.rules with this listener's name as their listener:`
	case "directives":
		return "sink.directives is for all the sink's listeners, under sink:"
	case "port", "address", "addr", "host", "bind", "ip", "listen_address":
		return `a listener's address and port are one value, listen: "127.0.0.1:2525" (port 0 for any free one)`
	}
	return ""
}

// UnknownKeyAdvice names a rule's key for what other tools call
// otherwise.
func (Rule) UnknownKeyAdvice(key string) string {
	switch key {
	case "to", "rcpt", "rcpt_to", "recipients", "address":
		return `a rule matches the recipient with recipient: "bob@x.test", one pattern (a glob, or a /regexp/)`
	case "from", "mail_from", "envelope_from", "senders", "return_path":
		return `a rule matches the envelope sender with sender: "app@x.test", one pattern (a glob, or a /regexp/; "<>" is the null sender)`
	case "ip", "client_ip", "addr", "source", "network":
		return "a rule matches the client's address with client: 192.0.2.1 or a prefix, 192.0.2.0/24"
	case "code", "status", "enhanced", "enhanced_code", "message", "text", "response":
		return `a rule's reply is one string, the code, enhanced code and text: reply: "550 5.1.1 No such user"`
	case "action", "do", "then", "respond":
		return "what a rule does is one of its own keys: reply, delay, tarpit, hang, drop, greylist or bounce"
	case "percent", "chance", "prob", "percentage":
		return "the chance that a rule applies is probability:, a fraction above 0 and up to 1 (0.2 for 20%)"
	case "attempts", "times", "count", "tries":
		return `a rule matches the attempt number with attempt: "2", a range "1-3", "4-" or "<=3", counted per sender and recipient`
	case "when", "match", "if", "conditions":
		return "a rule's conditions are its own keys, beside its stage: recipient, sender, helo, client, listener, attempt, probability"
	}
	return ""
}

// UnknownKeyAdvice says how a profile file builds on another profile:
// a profile has no parent, and says all its rules itself.
func (ProfileConfig) UnknownKeyAdvice(key string) string {
	switch key {
	case "extends", "extend", "inherits", "inherit", "base", "parent", "based_on", "include", "import":
		return "a profile does not build on another: to add replies to a built-in profile, write sink.rules on its domains (rules come before profiles); " +
			"to change its replies, copy its rules from the built-in profiles.yaml (relaylab's sink/profiles.yaml) into a profile of your own name that lists the domains it takes over"
	}
	return ""
}

// UnknownKeyAdvice names the limit a key of another MTA's (Postfix's
// message_size_limit) or a guess (max_message_size) stands for.
func (Limits) UnknownKeyAdvice(key string) string {
	switch key {
	case "max_message_size", "max_size", "message_size_limit", "size", "max_message_length", "max_bytes", "size_limit":
		return "the largest message is max_message_bytes, a whole number of octets (10485760 for 10 MiB), which EHLO advertises as SIZE"
	case "max_rcpt", "max_rcpts", "rcpt_limit", "recipient_limit", "smtpd_recipient_limit":
		return "the most recipients of a message is max_recipients"
	case "timeout", "idle", "read_timeout", "command_timeout":
		return "the time a client may stay silent is idle_timeout, a duration (5m)"
	}
	return ""
}
