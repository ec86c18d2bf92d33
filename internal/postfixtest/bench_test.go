package postfixtest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkRelayThroughPostfix measures a private instance: how long Start
// takes, and how fast messages submitted one connection at a time come out
// at a receiver on loopback.
//
//	go test -run '^$' -bench RelayThroughPostfix -benchtime 200x ./internal/postfixtest
func BenchmarkRelayThroughPostfix(b *testing.B) {
	rcv, addr := startReceiver(b, 0)
	began := time.Now()
	inst := Start(b, Options{RelayHost: addr})
	startup := time.Since(began)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b.ResetTimer()
	for i := range b.N {
		msg := fmt.Sprintf("Subject: bench %d\r\n\r\nHello.\r\n", i)
		if err := inst.Submit(ctx, "bench@src.test", []string{fmt.Sprintf("r%d@dest.test", i)}, []byte(msg)); err != nil {
			b.Fatal(err)
		}
	}
	for {
		got, next := rcv.messages()
		if len(got) >= b.N {
			break
		}
		select {
		case <-next:
		case <-ctx.Done():
			b.Fatalf("%d of %d messages arrived", len(got), b.N)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(startup.Milliseconds()), "start-ms") // after ResetTimer, which drops metrics
}
