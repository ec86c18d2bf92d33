package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/relaylab/relaylab/internal/textsafe"
)

// headerField writes a --header field, folded (foldField). A 7-bit value
// goes as written, an encoded-word written by hand included. One that is
// not is encoded where RFC 2047 lets it be, as --subject is, so that the
// message does not need SMTPUTF8 for it (a relay would bounce it at a next
// hop without SMTPUTF8, 553 5.6.7):
//
//   - unstructured text (Subject, Comments, Content-Description, and any
//     field RFC 5322 3.6.8 leaves unstructured, X-... among them) becomes
//     encoded-words (RFC 2047 5(1));
//   - an address list (From, To, Cc, ...) gets its display names encoded
//     (RFC 2047 5(3)); its addresses cannot be, so a list with a non-ASCII
//     address goes as written;
//   - any other structured field (Date, Message-ID, Content-Type, ...)
//     cannot hold an encoded-word (RFC 2047 5) and goes as written.
//
// What goes as written in UTF-8 is allowed in a message sent with SMTPUTF8
// (RFC 6532 3.2), which send then asks for, refusing to send to a server
// that does not offer it.
func headerField(name, value string) (string, error) {
	if !needsEncoding(value) {
		return foldField(name, value)
	}
	key := strings.ToLower(name)
	switch {
	case headerAddressFields[key]:
		return addressListField(name, value)
	case structuredFields[key] || strings.HasPrefix(key, "list-") || strings.HasPrefix(key, "arc-"):
		return foldField(name, value)
	}
	return textField(name, value, false)
}

// addressListField writes an address list with its display names
// encoded, or as written when it is not a list whose names could be
// encoded, or has an address that is not 7-bit.
func addressListField(name, value string) (string, error) {
	list, addr, err := encodedNames(value)
	if err != nil || addr != "" {
		return foldField(name, value)
	}
	return foldField(name, list)
}

// headerAddressFields are the fields whose value is a list of addresses
// (RFC 5322 3.6.2, 3.6.3, 3.6.6; RFC 8098 2.1).
var headerAddressFields = map[string]bool{"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "sender": true,
	"resent-from": true, "resent-to": true, "resent-cc": true, "resent-bcc": true, "resent-sender": true,
	"disposition-notification-to": true}

// structuredFields are fields with a syntax of their own, where an
// encoded-word may not stand (RFC 2047 5): RFC 5322 3.6's, MIME's (RFC
// 2045, 2183, 3282), and the authentication ones (RFC 6376, 8601).
// Content-Description is MIME's unstructured text, and not here.
var structuredFields = map[string]bool{"date": true, "message-id": true, "in-reply-to": true, "references": true,
	"keywords": true, "received": true, "return-path": true, "resent-date": true, "resent-message-id": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true, "content-id": true,
	"content-disposition": true, "content-language": true, "dkim-signature": true, "authentication-results": true,
	"received-spf": true, "auto-submitted": true}

// contentNotes says what in msg, a message in wire form, RFC 5322 allows
// in no mail, for send to note before it sends it as it is (a test may
// mean to send it; a server may refuse or mangle it): 8-bit octets in the
// header that are not UTF-8, which SMTPUTF8 does not cover (RFC 6532 3.2
// allows UTF-8 there and nothing else), and NUL anywhere (RFC 5322 2.3;
// RFC 2045 2.7, 2.8: neither 7bit nor 8bit data holds NUL). sending: the
// message goes (as it is); smtputf8: the MAIL FROM that carries it says
// SMTPUTF8. Only a --data file, or a --header or --body-file holding such
// bytes, gets here with them.
func contentNotes(msg []byte, sending, smtputf8 bool) []string {
	did := ""
	if sending {
		did = "; sent as it is"
	}
	var notes []string
	head := msg
	if bytes.HasPrefix(msg, []byte("\r\n")) {
		head = nil
	} else if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		head = msg[:i+2]
	}
	if i := textsafe.FirstNonUTF8(head); i >= 0 {
		how := did
		if sending && smtputf8 {
			how += ", with SMTPUTF8 on MAIL FROM as for any header that is not ASCII, though SMTPUTF8 means UTF-8"
		}
		notes = append(notes, fmt.Sprintf("the header has octet 0x%02X on line %d, which is not UTF-8 (Latin-1, say): a header may hold 8-bit text only as UTF-8, with SMTPUTF8 (RFC 6532 3.2), so no server has to take it%s. "+
			"To send such text, write the file in UTF-8, or the text as an RFC 2047 encoded-word (=?ISO-8859-1?Q?...?=)", head[i], lineOf(msg, i), how))
	}
	if i := bytes.IndexByte(msg, 0); i >= 0 {
		notes = append(notes, fmt.Sprintf("the message has a NUL octet (0x00) on line %d: no mail may hold one (RFC 5322 2.3; RFC 2045 2.7, 2.8: neither 7bit nor 8bit data has NUL), and a server may refuse the message or cut it there%s. "+
			"Take it out, or send the data as an --attach file, which goes in base64", lineOf(msg, i), did))
	}
	return notes
}

// lineOf is the line, from 1, that octet i of b is on.
func lineOf(b []byte, i int) int { return bytes.Count(b[:i], []byte("\n")) + 1 }
