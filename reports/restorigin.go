package reports

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/relay"
)

// restOrigin is what began a destination's rest, as the relay.attempt
// that met the reply records it (its rest): the rest's end, and the
// reply with the recipient and message it answered (relay.RestOrigin).
type restOrigin struct {
	until  time.Time
	origin string
}

// noteRestOrigin keeps, of a relay.attempt whose reply began or
// lengthened its destination's rest, what began it, for the held lines
// of the mail the rest holds (namedRest).
func (d *Data) noteRestOrigin(e events.Event) {
	var p struct {
		Host  string      `json:"host"`
		Reply relay.Reply `json:"reply"`
		Rest  *struct {
			Destination string    `json:"destination"`
			Until       time.Time `json:"until"`
		} `json:"rest"`
	}
	if json.Unmarshal(e.Payload, &p) != nil || p.Rest == nil || p.Rest.Destination == "" {
		return
	}
	if d.restOrigins == nil {
		d.restOrigins = map[string][]restOrigin{}
	}
	k := p.Rest.Destination
	d.restOrigins[k] = append(d.restOrigins[k], restOrigin{p.Rest.Until, relay.RestOrigin(k, p.Reply, p.Host, e.Recipient, e.Message)})
}

// namedRest is text, a hold's of a resting destination ("not tried:
// destination path:sink rests until T after 421 4.7.0 busy"), naming the
// recipient and message whose reply began the rest when the log tells
// (noteRestOrigin): the operator reading a timeline wants to know which
// mail made the rest, where the hold's own text leaves that out, as it
// goes into other senders' DSNs. Any other text is returned as it is.
func (d *Data) namedRest(text string) string {
	key, until, cause, ok := relay.HeldByRest(text)
	if !ok {
		return text
	}
	if strings.HasSuffix(cause, ")") && strings.Contains(cause, "(message ") {
		return text // an older store's hold named them already
	}
	// The hold's text gives the end to the second, the attempt's event
	// to the nanosecond; the last reply that lengthened the rest to that
	// end is its cause.
	origins := d.restOrigins[key]
	for i := len(origins) - 1; i >= 0; i-- {
		if origins[i].until.Truncate(time.Second).Equal(until) {
			return strings.TrimSuffix(text, cause) + origins[i].origin
		}
	}
	return text
}
