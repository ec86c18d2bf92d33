package scenario

import (
	"context"
	"database/sql"

	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/sink"
)

// sinkRecord is the replay's sink's record, for reports.Data.AddSinkRecord:
// the replay's summary then counts every reply the sink gave, its 220s
// and 250s as well as its refusals (the event log has those alone), as
// relaylab report does on the replay's store.
type sinkRecord struct {
	db *sql.DB
	// atts are the sink's attempts, read once for the recipients' notes.
	atts []sink.Attempt
}

var _ reports.SinkRecord = sinkRecord{}

func (s sinkRecord) SinkReplies(ctx context.Context) ([]reports.SinkReply, int, error) {
	t, err := sink.CountReplies(ctx, s.db)
	if err != nil {
		return nil, 0, err
	}
	out := make([]reports.SinkReply, len(t.Counts))
	for i, c := range t.Counts {
		out[i] = reports.SinkReply{Stage: string(c.Stage), Code: c.Code, Count: c.Count}
	}
	return out, t.Sessions, nil
}

// AllAttempts is the sink's record as recipients, which AddSinkRecord
// reads only when the log has none of the relay's: never in a replay,
// whose messages have recipients.
func (s sinkRecord) AllAttempts(context.Context) ([]reports.SinkAttempt, error) {
	out := make([]reports.SinkAttempt, len(s.atts))
	for i, a := range s.atts {
		out[i] = reports.SinkAttempt{Time: a.Time, Listener: a.Listener, Client: a.Client, Sender: a.Sender, Recipient: a.Recipient,
			Stage: string(a.Stage), Code: a.Reply.Code, Enhanced: a.Reply.Enhanced, Text: a.Reply.Text, TLS: a.TLS, Session: a.Session, By: a.By}
	}
	return out, nil
}
