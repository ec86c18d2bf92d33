package sink

import (
	"reflect"
	"testing"
)

// Explain takes "<>" for the null sender, as MAIL FROM:<> writes it and
// relaylab send takes it: the same steps as "", where it answered 501 as
// for an address without a domain.
func TestWQ27ExplainAngleNullSender(t *testing.T) {
	t.Parallel()
	cfg, err := decodeSink(t, `sink:
  listeners:
    - {name: mx, listen: "127.0.0.1:0"}
  rules:
    - {stage: mail, sender: "<>", reply: "550 5.7.1 no bounces here"}
`)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Explain(cfg, Envelope{From: "", To: []string{"bob@x.test"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Explain(cfg, Envelope{From: "<>", To: []string{"bob@x.test"}})
	if err != nil {
		t.Fatalf("From <>: %v; want the null sender's steps", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("From <>: got steps\n%+v\nwant those of From \"\"\n%+v", got, want)
	}
	if st := stepOf(t, got, StageMail, ""); st.Command != "MAIL FROM:<>" || st.Answer.Reply == nil || st.Answer.Reply.Code != 550 {
		t.Errorf("MAIL step: got %+v, want MAIL FROM:<> answered 550 by the sender: \"<>\" rule", st)
	}
	// "<>" stands for the null sender alone: not for a recipient.
	if _, err := Explain(cfg, Envelope{From: "a@shop.test", To: []string{"<>"}}); err == nil {
		t.Error("recipient <>: no error, want the 501 of an address without a domain")
	}
}
