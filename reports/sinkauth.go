package reports

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// Auth is what the sink's own checks (sink.verify) found of the message
// an attempt left with it: the RFC 8601 results of SPF, DKIM and DMARC,
// and the policy the From domain's DMARC record asks for. It is what
// explains a 550 5.7.26 that names none of them.
type Auth struct {
	SPF         string `json:"spf,omitempty"`
	DKIM        string `json:"dkim,omitempty"`
	DMARC       string `json:"dmarc,omitempty"`
	DMARCPolicy string `json:"dmarc_policy,omitempty"`
}

// String is the results as a timeline shows them: "spf=fail dkim=none
// dmarc=fail (p=reject)".
func (a *Auth) String() string {
	if a == nil {
		return ""
	}
	var parts []string
	for _, p := range []struct{ name, v string }{{"spf", a.SPF}, {"dkim", a.DKIM}, {"dmarc", a.DMARC}} {
		if p.v != "" {
			parts = append(parts, p.name+"="+p.v)
		}
	}
	s := strings.Join(parts, " ")
	if a.DMARCPolicy != "" {
		s += " (p=" + a.DMARCPolicy + ")"
	}
	return s
}

// sinkMessage is a message the sink checked, from its sink.message
// event: its Message-ID (without angle brackets), its recipients and the
// results.
type sinkMessage struct {
	time      time.Time
	messageID string
	to        []string
	auth      Auth
}

// addSinkMessage keeps a sink.message event's results, when the sink
// checked the message (sink.verify), for AddSinkAuth.
func (d *Data) addSinkMessage(e events.Event) {
	var p struct {
		To          []string `json:"to"`
		SPF         string   `json:"spf"`
		DKIM        string   `json:"dkim"`
		DMARC       string   `json:"dmarc"`
		DMARCPolicy string   `json:"dmarc_policy"`
	}
	if json.Unmarshal(e.Payload, &p) != nil || p.SPF == "" && p.DKIM == "" && p.DMARC == "" || e.Message == "" {
		return
	}
	d.sinkMessages = append(d.sinkMessages, sinkMessage{e.Time, e.Message, p.To, Auth{p.SPF, p.DKIM, p.DMARC, p.DMARCPolicy}})
}

// AddSinkAuth gives each relay attempt whose reply came after the data
// (stage dot) the results of the sink's checks of the message it left,
// when the same store holds the sink's record with them (a replay with
// sink.verify). messageIDs maps the relay's message ids to their
// Message-ID fields (without angle brackets), which the sink's record
// names its messages by; Load calls it with those its relay.queued
// events carry ("message_id"), and a replay with those of the messages it
// submitted. An
// attempt is given the first message the sink checked with its
// Message-ID and recipient, at or before the attempt's end, that no
// earlier attempt of the recipient took.
func (d *Data) AddSinkAuth(messageIDs map[string]string) {
	if len(d.sinkMessages) == 0 || len(messageIDs) == 0 {
		return
	}
	byID := map[string][]int{}
	for i, m := range d.sinkMessages {
		byID[m.messageID] = append(byID[m.messageID], i)
	}
	for _, r := range d.Recipients {
		cands := byID[messageIDs[r.Message]]
		if len(cands) == 0 {
			continue
		}
		used := map[int]bool{}
		for k := range r.Attempts {
			a := &r.Attempts[k]
			if a.Stage != "dot" {
				continue
			}
			for _, i := range cands {
				m := d.sinkMessages[i]
				if used[i] || m.time.After(a.Time) || !hasAddress(m.to, r.Address) {
					continue
				}
				used[i] = true
				auth := m.auth
				a.Auth = &auth
				break
			}
		}
	}
}

func hasAddress(list []string, addr string) bool {
	for _, a := range list {
		if strings.EqualFold(a, addr) {
			return true
		}
	}
	return false
}
