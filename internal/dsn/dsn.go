// Package dsn writes and reads delivery status notifications (RFC 3464): the
// multipart/report messages (RFC 6522) that tell a sender a message failed,
// was delayed or was delivered. The sink uses Build for its asynchronous
// bounces, the relay for bounces and delay warnings, and Parse reads the DSNs
// that come back. ParseParams and FormFault check the DSN parameters of MAIL
// and RCPT (RFC 3461 4) for the sink and the relay's submission listener.
package dsn

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Actions of a per-recipient block (RFC 3464 2.3.3).
const (
	ActionFailed    = "failed"
	ActionDelayed   = "delayed"
	ActionDelivered = "delivered"
	ActionRelayed   = "relayed"
	ActionExpanded  = "expanded"
)

// Report is the content of a message/delivery-status part.
//
// Address and MTA fields hold the bare value ("user@example.com",
// "mx.example.com", "550 5.1.1 no such user"); Build adds the RFC 3464 type
// ("rfc822;", "dns;", "smtp;") and Parse removes it. A value that already
// starts with another type ("x400; ...") is kept as written.
type Report struct {
	// Per-message fields (RFC 3464 2.2).
	ReportingMTA    string    `json:"reporting_mta,omitempty"`     // required
	EnvelopeID      string    `json:"envelope_id,omitempty"`       // Original-Envelope-Id, from ENVID (RFC 3461 4.4)
	ReceivedFromMTA string    `json:"received_from_mta,omitempty"` // the client that gave us the message
	ArrivalDate     time.Time `json:"arrival_date,omitzero"`
	// Extra holds other per-message fields (X-Postfix-Sender, DSN-Gateway...).
	Extra      Header      `json:"extra,omitempty"`
	Recipients []Recipient `json:"recipients"`
}

// Recipient is one per-recipient block (RFC 3464 2.3).
type Recipient struct {
	OriginalRecipient string    `json:"original_recipient,omitempty"` // from ORCPT (RFC 3461 4.2)
	FinalRecipient    string    `json:"final_recipient,omitempty"`    // required
	Action            string    `json:"action,omitempty"`             // required: one of the Action constants
	Status            string    `json:"status,omitempty"`             // required: "5.1.1" (RFC 3463)
	RemoteMTA         string    `json:"remote_mta,omitempty"`
	DiagnosticCode    string    `json:"diagnostic_code,omitempty"` // the remote reply: "550 5.1.1 no such user"
	LastAttempt       time.Time `json:"last_attempt,omitzero"`
	WillRetryUntil    time.Time `json:"will_retry_until,omitzero"`
	Extra             Header    `json:"extra,omitempty"`
	// Meaning and Advice go into the human-readable part only (Explain),
	// never into the report: what happened to this recipient in plain
	// words, and what the sender can do. Empty means ones Explain chooses
	// from the action, the status and whether a server replied; a writer
	// that knows more (the relay's own suppression list) says it here.
	Meaning string `json:"-"`
	Advice  string `json:"-"`
}

// Errors that Build and Parse wrap, so callers can tell them apart.
var (
	// ErrInvalid means Build was given a report it cannot write faithfully.
	ErrInvalid = errors.New("invalid delivery status report")
	// ErrNotReport means the message is not a multipart/report DSN; Parse
	// still returns what it could read (headers, text) beside it.
	ErrNotReport = errors.New("not a delivery status notification")
	// ErrMalformed means the message claims to be a DSN but its
	// delivery-status part cannot be read.
	ErrMalformed = errors.New("malformed delivery status notification")
)

// actionClasses are the status classes that agree with each action: a
// delivery, relay or expansion is a success (2), a delay a transient
// condition (4), and a failure permanent (5) or, when the relay gave up on
// a transient one (expired, 4.4.7), transient (RFC 3463 3.1).
var actionClasses = map[string]string{
	ActionDelivered: "2", ActionRelayed: "2", ActionExpanded: "2",
	ActionDelayed: "4", ActionFailed: "45",
}

// statusRE matches an enhanced status code (RFC 3463 2): class "." subject
// "." detail, subject and detail of one to three digits.
var statusRE = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)

// typedRE matches a value that already carries an RFC 3464 type prefix such
// as "rfc822;" or "x-local;" (the type is an atom, RFC 3464 2.1.2).
var typedRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*\s*;`)

// ValidStatus reports whether s is an enhanced status code like "5.1.1".
func ValidStatus(s string) bool { return statusRE.MatchString(s) }

// validate checks what RFC 3464 requires of a report before it is written.
func (r *Report) validate() error {
	if untyped(r.ReportingMTA) == "" {
		return fmt.Errorf("%w: Reporting-MTA is empty; RFC 3464 2.2.2 requires it (set Report.ReportingMTA to this host's name)", ErrInvalid)
	}
	if len(r.Recipients) == 0 {
		return fmt.Errorf("%w: no recipients; a DSN reports on at least one recipient (RFC 3464 2.1)", ErrInvalid)
	}
	if err := checkLine("Reporting-MTA", r.ReportingMTA); err != nil {
		return err
	}
	if err := checkLine("Original-Envelope-Id", r.EnvelopeID); err != nil {
		return err
	}
	if err := checkLine("Received-From-MTA", r.ReceivedFromMTA); err != nil {
		return err
	}
	if err := checkExtra(r.Extra); err != nil {
		return err
	}
	for i, rc := range r.Recipients {
		if err := rc.validate(); err != nil {
			return fmt.Errorf("recipient %d (%s): %w", i, rc.FinalRecipient, err)
		}
	}
	return nil
}

func (rc *Recipient) validate() error {
	if untyped(rc.FinalRecipient) == "" {
		return fmt.Errorf("%w: Final-Recipient is empty; RFC 3464 2.3.2 requires it", ErrInvalid)
	}
	switch rc.Action {
	case ActionFailed, ActionDelayed, ActionDelivered, ActionRelayed, ActionExpanded:
	default:
		return fmt.Errorf("%w: Action %q is not one of failed, delayed, delivered, relayed, expanded (RFC 3464 2.3.3)", ErrInvalid, rc.Action)
	}
	if !ValidStatus(rc.Status) {
		return fmt.Errorf("%w: Status %q is not an enhanced status code like 5.1.1 (RFC 3463, RFC 3464 2.3.4)", ErrInvalid, rc.Status)
	}
	if classes := actionClasses[rc.Action]; !strings.Contains(classes, rc.Status[:1]) {
		return fmt.Errorf("%w: Action %s with Status %s: the status of a %s recipient is of class %s (RFC 3463 3.1: 2 success, 4 persistent transient, 5 permanent failure; RFC 3464 2.3.3, 2.3.4)",
			ErrInvalid, rc.Action, rc.Status, rc.Action, strings.Join(strings.Split(classes, ""), " or "))
	}
	for _, f := range []Field{
		{"Original-Recipient", rc.OriginalRecipient},
		{"Final-Recipient", rc.FinalRecipient},
		{"Remote-MTA", rc.RemoteMTA},
		{"Diagnostic-Code", rc.DiagnosticCode},
	} {
		if err := checkLine(f.Name, f.Value); err != nil {
			return err
		}
	}
	return checkExtra(rc.Extra)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// checkLine refuses line breaks and other controls in a field value: they
// would let a value forge fields or end the part early.
func checkLine(name, v string) error {
	for _, c := range v {
		if c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("%w: %s contains control character %q; remove line breaks and controls from the value", ErrInvalid, name, c)
		}
	}
	return nil
}

// reserved are the fields Build writes itself; an extra field of the same
// name would be read back in their place.
var reserved = map[string]bool{
	"reporting-mta": true, "original-envelope-id": true, "received-from-mta": true, "arrival-date": true,
	"original-recipient": true, "final-recipient": true, "action": true, "status": true,
	"remote-mta": true, "diagnostic-code": true, "last-attempt-date": true, "will-retry-until": true,
}

func checkExtra(h Header) error {
	for _, f := range h {
		if f.Name == "" || strings.ContainsAny(f.Name, ": \t") || !printableASCII(f.Name) {
			return fmt.Errorf("%w: extra field name %q is not a field name (RFC 5322 2.2: printable ASCII without colon or space)", ErrInvalid, f.Name)
		}
		if reserved[strings.ToLower(f.Name)] {
			return fmt.Errorf("%w: extra field %q is a standard field; set it in Report or Recipient instead", ErrInvalid, f.Name)
		}
		if err := checkLine(f.Name, f.Value); err != nil {
			return err
		}
	}
	return nil
}

// typed returns v with the RFC 3464 type t unless v already has one.
func typed(t, v string) string {
	if typedRE.MatchString(v) {
		return v
	}
	return t + "; " + v
}

// untyped strips a known type prefix from a parsed value (case-insensitive,
// RFC 3464 2.1.2); an unknown type is kept so Build writes it back as is.
func untyped(v string) string {
	t, rest, ok := strings.Cut(v, ";")
	if !ok {
		return strings.TrimSpace(v)
	}
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "rfc822", "dns", "smtp":
		return strings.TrimSpace(rest)
	case "utf-8":
		return DecodeUTF8AddrLenient(strings.TrimSpace(rest))
	}
	return strings.TrimSpace(v)
}
