package sink

import "github.com/relaylab/relaylab/internal/mailtext"

// maxSubject caps the subject a sink.message event carries, in
// characters, as the relay's relay.queued caps its own.
const maxSubject = 200

// subjectOf is the message's Subject for its sink.message event, as
// mailtext.Subject reads it (decoded, on one line), cut to maxSubject
// characters; "" when it has none.
func subjectOf(raw []byte) string { return mailtext.Subject(raw, maxSubject) }
