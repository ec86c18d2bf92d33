package reports

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkFromSinkBounces reads a sink's record where every recipient
// was accepted and bounced later: the time per recipient (ns/op divided
// by n) stays flat as n grows when each bounce finds its recipients by
// address, and grows with n when each bounce walks every recipient.
func BenchmarkFromSinkBounces(b *testing.B) {
	for _, n := range []int{1000, 4000, 12000} {
		src := bouncingSink{}
		for i := range n {
			rcpt := fmt.Sprintf("bounce+%d@x.test", i)
			src.fakeSink = append(src.fakeSink, SinkAttempt{Time: t0.Add(time.Duration(i) * time.Second), Listener: "mx", Client: "127.0.0.1:2525",
				Sender: "app@s.test", Recipient: rcpt, Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "Message accepted"})
			src.bounces = append(src.bounces, SinkBounce{Recipient: rcpt, Sender: "app@s.test", Reply: "550 5.1.1 no such user"})
		}
		b.Run(fmt.Sprintf("recipients=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := FromSink(context.Background(), src); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/recipient")
		})
	}
}
