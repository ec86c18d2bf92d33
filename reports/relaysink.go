package reports

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// A relay's attempt and the sink's record of it are written by two parts
// of one process (serve) or of one replay, on one clock: the sink records
// its reply before the relay reads it, and the relay writes its attempt
// once the session's round is over. tieAfter is how much later than the
// relay's attempt the sink's record of the reply may be stamped (two
// processes on one store, relaylab relay beside relaylab sink, read the
// same clock, but not in lockstep); tieBefore is how much earlier than
// the attempt's start (its end less its latency) it may be, for the
// round's other exchanges before the record was written, or for an
// attempt without a latency. An attempt the relay gave up on (a timeout)
// may be recorded by the sink up to tieBefore after it, when the sink's
// delayed reply came.
const (
	tieAfter  = time.Second
	tieBefore = time.Minute
)

// tieSinkAttempts gives each of d's relay attempts that the sink of the
// same store answered what the sink recorded of it: what chose its reply
// (By) and its session (SinkSession). A sink's attempt answered one of
// the relay's when it is for the same address, stamped within the
// attempt's time (see tieAfter), with the same reply code, and, when
// both know the message's Message-ID, of the same message; of several,
// the latest, each taken once. An attempt that got no reply (a timeout,
// a dropped connection) is tied after all the others: to the sink's
// attempt without a reply in its time, else to the first the sink
// recorded after it began, with whatever reply the relay did not wait
// for. It returns the sink's attempts tied to none (mail from other
// senders), and the sink's numbers for the messages the relay delivered
// to it.
func (d *Data) tieSinkAttempts(atts []SinkMessageAttempt) (rest []SinkMessageAttempt, relayed map[int64]bool) {
	t := sinkTies{atts: atts, byAddr: map[string][]int{}, used: make([]bool, len(atts)), relayed: map[int64]bool{}}
	for i, a := range atts {
		k := strings.ToLower(a.Recipient)
		t.byAddr[k] = append(t.byAddr[k], i)
	}
	for _, idx := range t.byAddr {
		sort.SliceStable(idx, func(i, j int) bool { return atts[idx[i]].Time.Before(atts[idx[j]].Time) })
	}
	var ras []relayAttempt
	for _, r := range d.Recipients {
		for k := range r.Attempts {
			ras = append(ras, relayAttempt{r.Address, trimID(d.messageIDs[r.Message]), &r.Attempts[k]})
		}
	}
	sort.SliceStable(ras, func(i, j int) bool { return ras[i].a.Time.Before(ras[j].a.Time) })
	for _, ra := range ras {
		if ra.a.Code != 0 {
			t.tie(ra, false)
		}
	}
	for _, ra := range ras {
		if ra.a.Code == 0 && !t.tie(ra, false) {
			t.tie(ra, true)
		}
	}
	for i, a := range atts {
		if !t.used[i] {
			rest = append(rest, a)
		}
	}
	return rest, t.relayed
}

// relayAttempt is one of the relay's attempts, with its recipient's
// address and its message's Message-ID.
type relayAttempt struct {
	addr, messageID string
	a               *Attempt
}

// sinkTies are the sink's attempts as tieSinkAttempts ties them: by
// address in time order, those tied, and the messages the relay left.
type sinkTies struct {
	atts    []SinkMessageAttempt
	byAddr  map[string][]int
	used    []bool
	relayed map[int64]bool
}

// tie gives ra the sink's attempt that answered it, and reports whether
// there was one: the latest in its time with its reply code, or with
// late, the earliest after its start, of any code, up to tieBefore after
// its end.
func (t *sinkTies) tie(ra relayAttempt, late bool) bool {
	a := ra.a
	var took time.Duration
	if a.Latency != nil {
		took = time.Duration(*a.Latency * float64(time.Millisecond))
	}
	from, until := a.Time.Add(-took-tieBefore), a.Time.Add(tieAfter)
	if late {
		from, until = a.Time.Add(-took), a.Time.Add(tieBefore)
	}
	idx := t.byAddr[strings.ToLower(ra.addr)]
	first := sort.Search(len(idx), func(j int) bool { return !t.atts[idx[j]].Time.Before(from) })
	last := sort.Search(len(idx), func(j int) bool { return t.atts[idx[j]].Time.After(until) }) - 1
	for k := range last - first + 1 {
		j := last - k // the latest first
		if late {
			j = first + k
		}
		s := t.atts[idx[j]]
		if t.used[idx[j]] || !late && s.Code != a.Code || ra.messageID != "" && s.MessageID != "" && trimID(s.MessageID) != ra.messageID {
			continue
		}
		t.used[idx[j]] = true
		a.By, a.SinkSession = s.By, s.Session
		if s.Message != 0 {
			t.relayed[s.Message] = true
		}
		return true
	}
	return false
}

// trimID is a Message-ID without its angle brackets.
func trimID(id string) string { return strings.Trim(strings.TrimSpace(id), "<>") }

// addOtherSenders ties the sink's record in src to d's relay attempts
// (tieSinkAttempts) and makes the sink's attempts left over, of mail
// that did not come from the relay, d.OtherSenders: records as FromSink
// makes them, advised as for a sender that may not retry.
func (d *Data) addOtherSenders(ctx context.Context, src SinkAttemptSource) error {
	atts, err := sinkMessageAttempts(ctx, src)
	if err != nil {
		return err
	}
	rest, relayed := d.tieSinkAttempts(atts)
	if len(rest) == 0 {
		return nil
	}
	fs, err := fromSinkAttempts(ctx, src, rest, relayed)
	if err != nil {
		return err
	}
	fs.AdviseOutsideSenders(nil)
	d.OtherSenders = fs.Recipients
	return nil
}

// otherSendersNote says what OtherSenders are, after their count.
const otherSendersNote = "the sink's records of mail that did not come from this store's relay (sent straight to the sink by another client, " +
	"or an attempt of the relay's that it did not record, cut off by an unclean stop), as the sink saw them; " +
	"no other count includes them, and relaylab expect --db judges them"

// otherSenders is the summary's sentence about s.OtherSenders, its
// records shown where says: "2 records from other senders: ... (where)";
// "" for none.
func (s Summary) otherSenders(where string) string {
	if s.OtherSenders == 0 {
		return ""
	}
	return fmt.Sprintf("%s from other senders: %s (%s)", counted(s.OtherSenders, "record"), otherSendersNote, where)
}

// writeOtherSenders writes, after the relay's recipients, the timelines
// of the sink's records of mail from other senders, as a report on a
// store the sink alone wrote shows its records.
func writeOtherSenders(w io.Writer, d *Data) {
	rs := records(d.OtherSenders)
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nfrom other senders, as the sink saw them (%s):\n", recordMeaning)
	writeCases(w, rs, "record", "--format json, under other_senders")
}

// otherSendersWhere is where the formats that only count OtherSenders
// (Markdown, HTML, JUnit; the CSV has the relay's recipients alone) say
// their records are.
const otherSendersWhere = "listed in relaylab report --format text and json"
