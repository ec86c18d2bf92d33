package reports

import (
	"context"
	"strings"
	"testing"
)

// TestUnsentBounceSaysWhereItWent: the advice about a sink's bounce that
// did not go out names the relay the sink tried (the bounce's record,
// else its error), not "relaylab sink's banner", which relaylab serve's
// banner does not have, and which says nothing new once
// sink.bounce.relay is set.
func TestUnsentBounceSaysWhereItWent(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		b     SinkBounce
		wants []string
	}{
		{"refused, relay recorded", SinkBounce{NotSent: "it has not sent yet: 2 of its 5 tries failed, the last with: dial tcp: connection refused", Relay: "127.0.0.1:43301"},
			[]string{"nothing listens at 127.0.0.1:43301, where the sink sends its bounces"}},
		{"refused for good, relay in the error", SinkBounce{NotSent: "it could not send: the bounce relay 127.0.0.1:2526 refused the DSN for good with 550 5.7.1 no"},
			[]string{"the relay at 127.0.0.1:2526, where the sink sends its bounces", "did not take the bounce"}},
	} {
		c.b.Recipient, c.b.Sender, c.b.Reply, c.b.Message = "a@x.test", "app@s.test", "550 5.1.1 gone", 1
		src := bouncingSink{fakeSink: fakeSink{{Time: t0, Listener: "mx", Client: "127.0.0.1:1", Sender: "app@s.test", Recipient: "a@x.test", Stage: "data-end", Code: 250}},
			bounces: []SinkBounce{c.b}}
		d, err := FromSink(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		_, advice := d.Recipients[0].unsentBounce()
		for _, want := range c.wants {
			if !strings.Contains(advice, want) {
				t.Errorf("%s: advice %q lacks %q", c.name, advice, want)
			}
		}
		if strings.Contains(advice, "banner") {
			t.Errorf("%s: advice %q points at a banner", c.name, advice)
		}
	}
}
