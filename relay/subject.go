package relay

import (
	"strings"

	"github.com/relaylab/relaylab/internal/mailtext"
)

// maxSubject caps the subject kept in a relay.queued event, in characters.
const maxSubject = 200

// subjectOf returns the message's Subject as mailtext.Subject reads it
// (decoded, on one line), cut to maxSubject characters.
func subjectOf(data []byte) string { return mailtext.Subject(data, maxSubject) }

// messageIDOf is the message's Message-ID without its angle brackets, ""
// when it has none: the name the sink's record gives the message, so that
// a report ties the relay's attempts to the sink's checks of them.
func messageIDOf(data []byte) string {
	v := mailtext.Field(data, "message-id")
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">"))
}
