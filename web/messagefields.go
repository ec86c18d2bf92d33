package web

import (
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/mailtext"
)

// MessageFields are a message's address fields read as addresses (name
// and address apart, as a test compares them), its Message-ID and its
// Date, so that a client need not parse the header fields itself.
type MessageFields struct {
	// From is the first mailbox of the From field (RFC 5322 3.6.2 allows
	// several, which the headers show); absent when it has none that
	// parses.
	From    *MailAddress  `json:"from,omitempty"`
	To      []MailAddress `json:"to,omitempty"`
	Cc      []MailAddress `json:"cc,omitempty"`
	ReplyTo []MailAddress `json:"reply_to,omitempty"`
	// MessageID is the Message-ID field's id, without its angle brackets.
	MessageID string `json:"message_id,omitempty"`
	// Date is the Date field, when it parses (RFC 5322 3.3), with the
	// offset it was written with.
	Date time.Time `json:"date,omitzero"`
}

// MailAddress is one address of an address field: its display name
// (encoded-words decoded; "" when it has none) and its address.
type MailAddress struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// addressParser reads address fields, their encoded-words in every
// charset relaylab reads (mailtext), not only those net/mail knows.
var addressParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(mailtext.Text(b, cs)), nil
}}}

// messageFields reads h's address fields, Message-ID and Date; a field
// that does not parse is left out (the headers show it as sent).
func messageFields(h mail.Header) *MessageFields {
	f := &MessageFields{To: fieldList(h, "To"), Cc: fieldList(h, "Cc"), ReplyTo: fieldList(h, "Reply-To")}
	if from := fieldList(h, "From"); len(from) > 0 {
		f.From = &from[0]
	}
	id := strings.TrimSpace(h.Get("Message-ID"))
	f.MessageID = mailtext.Valid(strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">"))
	if d, err := h.Date(); err == nil {
		f.Date = d
	}
	if f.From == nil && f.To == nil && f.Cc == nil && f.ReplyTo == nil && f.MessageID == "" && f.Date.IsZero() {
		return nil
	}
	return f
}

// fieldList is the addresses of h's field name (of each such field).
func fieldList(h mail.Header, name string) []MailAddress {
	var out []MailAddress
	for _, v := range h[name] {
		list, err := addressParser.ParseList(v)
		if err != nil {
			continue
		}
		for _, a := range list {
			out = append(out, MailAddress{Name: mailtext.Valid(a.Name), Address: mailtext.Valid(a.Address)})
		}
	}
	return out
}
