package sink

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// TLSFailure explains a TLS handshake the sink offered (STARTTLS, or an
// implicit-TLS listener) that failed: what Go's TLS said, what that means
// for the session, and what to change. A failed handshake gets no reply
// (no client could read one), so the session's record has no refusal to
// show for it: the transcript's note is its outcome (HandshakeFailure).
type TLSFailure struct {
	Err    string `json:"error"`  // as crypto/tls gave it: "remote error: tls: bad certificate"
	Reason string `json:"reason"` // what it means
	Advice string `json:"advice"` // what to change
}

// TLSFailureCategory is the category of a failed handshake, as the relay's
// classifier names a TLS failure it meets (tls-failure).
const TLSFailureCategory = "tls-failure"

// handshakeNote starts the transcript's note of a failed handshake;
// HandshakeMark is how it stands in a transcript, for a query that
// looks for sessions with one (HandshakeFailure reads it).
const (
	handshakeNote = "TLS handshake failed: "
	HandshakeMark = " * " + handshakeNote
)

// note is f as the transcript has it: one line that HandshakeFailure reads
// back.
func (f TLSFailure) note() string {
	return handshakeNote + f.Err + "; why: " + f.Reason + "; fix: " + f.Advice
}

// HandshakeFailure reads the note of the failed TLS handshake that ended
// a session from its transcript (Session.Transcript), for a view of the
// session's outcome: the last reply such a session shows is the 220 to
// STARTTLS, or none under implicit TLS, which says nothing of why it
// ended. ok is false when the transcript has no such note; the note of a
// session recorded before the sink explained them has only Err.
func HandshakeFailure(transcript string) (f TLSFailure, ok bool) {
	i := strings.LastIndex(transcript, HandshakeMark)
	if i < 0 {
		return TLSFailure{}, false
	}
	line := transcript[i+len(HandshakeMark):]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f.Err, line, _ = strings.Cut(line, "; why: ")
	f.Reason, f.Advice, _ = strings.Cut(line, "; fix: ")
	return f, true
}

// certAlerts are the TLS alerts (RFC 8446 6.2) by which a client refuses
// the certificate it was shown, as Go's TLS words them: Go clients send
// bad_certificate, OpenSSL's (nodemailer, PHPMailer) unknown_ca for a
// self-signed one; the others come from a certificate the client could
// read and would not take.
var certAlerts = []string{"bad certificate", "unknown certificate authority", "unknown certificate",
	"expired certificate", "unsupported certificate", "revoked certificate", "bad certificate hash value"}

// handshakeFailure explains err, the error of a TLS handshake on l.
func (l *listener) handshakeFailure(err error) TLSFailure {
	f := TLSFailure{Err: err.Error()}
	alert := ""
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "remote error" && op.Err != nil {
		// The client's alert (crypto/tls keeps its type unexported).
		alert = strings.TrimPrefix(op.Err.Error(), "tls: ")
	}
	msg := err.Error()
	_, notTLS := errors.AsType[tls.RecordHeaderError](err)
	switch {
	case alert != "" && slices.Contains(certAlerts, alert):
		f.Reason, f.Advice = l.untrusted(alert)
	case alert == "protocol version not supported" || strings.Contains(msg, "client offered only unsupported versions") || strings.Contains(msg, "older than TLS 1.3"):
		f.Reason = "the client and this listener have no TLS version in common: the sink takes TLS 1.0 to 1.3"
		f.Advice = "let the client use TLS 1.2 or 1.3 (its TLS library, or its minimum and maximum version settings)"
	case alert == "handshake failure" || alert == "insufficient security level" ||
		strings.Contains(msg, "no cipher suite supported by both") || strings.Contains(msg, "no key exchanges supported by both"):
		f.Reason = "the client and this listener have no cipher suite or key exchange in common (the sink offers Go's defaults: ECDHE with AES-GCM or ChaCha20-Poly1305)"
		f.Advice = "allow the client those suites; a client limited to old or export ciphers cannot talk TLS to the sink"
	case notTLS && l.implicitTLS:
		f.Reason = "the client sent no TLS handshake: it speaks SMTP in the clear, and " + l.key() + ".tls is implicit (TLS from the first byte, as on port 465)"
		f.Advice = "point the client at a listener with tls: starttls or none, or have it use implicit TLS (SMTPS)"
	case notTLS:
		f.Reason = "the client sent no TLS handshake after the 220 to its STARTTLS: it went on in the clear"
		f.Advice = "check the client's STARTTLS support; to test it without TLS, make " + l.key() + ".tls none or hide STARTTLS (" + l.key() + ".hide: [STARTTLS])"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		reason, advice := l.untrusted("")
		f.Reason = "the client closed the connection during the handshake without a TLS alert; some clients do so when they do not trust the certificate: if it is that, " + reason
		f.Advice = "see the client's log for its side; " + advice
	default:
		f.Reason = "the handshake did not complete"
		f.Advice = "see the client's log for its side of the handshake"
	}
	return f
}

// untrusted is the reason and the advice for a client that refused l's
// certificate with alert ("" when it said nothing).
func (l *listener) untrusted(alert string) (reason, advice string) {
	k := l.key()
	said := ""
	if alert != "" {
		said = " (its alert: " + alert + ")"
	}
	if l.cfg.CertFile != "" {
		return "the client does not trust this listener's certificate" + said + ", from " + k + ".cert_file " + strconv.Quote(l.cfg.CertFile),
			"check that the certificate is signed by a CA the client trusts, that cert_file holds the intermediate certificates too, and that it names the host the client connects to (" + l.cfg.Hostname + ", or the address it dials)"
	}
	reason = "the client does not trust this listener's certificate" + said + ": it is self-signed, made when the sink started, since " + k + " has no cert_file"
	advice = "give " + k + ".cert_file and key_file a certificate the client trusts (for " + l.cfg.Hostname + " or the address it dials), or have the client skip verification for this test host"
	if l.implicitTLS {
		return reason, advice + ", or send to a listener with tls: none or starttls"
	}
	return reason, advice + ", or offer no STARTTLS so that it sends in the clear (" + k + ".tls: none, or " + k + ".hide: [STARTTLS])"
}

// key is the listener's place in the configuration, for notes and
// replies that name one of its settings: "sink.listeners[0]".
func (l *listener) key() string { return "sink.listeners[" + strconv.Itoa(l.index) + "]" }
