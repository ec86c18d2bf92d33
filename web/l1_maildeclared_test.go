package web

import (
	"encoding/json"
	"testing"
)

// TestL1MailDeclaredKeys: a sink message's mail object always has body
// and smtputf8, "" and false saying that the MAIL did not declare them,
// so that a consumer reads the same keys of every message; unknown only
// for a message an older build stored. Before, body was left out when
// MAIL gave no BODY=, while smtputf8 was there as false.
func TestL1MailDeclaredKeys(t *testing.T) {
	t.Parallel()
	sink := newFakeSink()
	sink.msgs["1"] = MessageDetail{ID: "1", Mail: &MailDeclared{Body: "8BITMIME", SMTPUTF8: true}}
	sink.msgs["2"] = MessageDetail{ID: "2", Mail: &MailDeclared{SMTPUTF8: true}}
	sink.msgs["3"] = MessageDetail{ID: "3", Mail: &MailDeclared{}}
	sink.msgs["4"] = MessageDetail{ID: "4", Mail: &MailDeclared{Unknown: true}}
	ts := startServer(t, Options{Sink: sink})
	for id, want := range map[string]string{
		"1": `{"body":"8BITMIME","smtputf8":true}`,
		"2": `{"body":"","smtputf8":true}`,
		"3": `{"body":"","smtputf8":false}`,
		"4": `{"body":"","smtputf8":false,"unknown":true}`,
	} {
		var m struct {
			Mail json.RawMessage `json:"mail"`
		}
		getJSON(t, ts.url+"/api/v1/sink/messages/"+id, &m)
		if string(m.Mail) != want {
			t.Errorf("message %s: mail %s, want %s: body and smtputf8 are always there (\"\" and false: not declared)", id, m.Mail, want)
		}
	}
}
