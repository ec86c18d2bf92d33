package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkInboxSearch: a search of the sink's inbox over 20,000 stored
// messages of 11 KB each (a header with an encoded subject, as mail
// clients write it, and a 10 KB body), that matches none, so that each
// request reads maxInboxScan of them; and the first page of the inbox
// without a search. It reports the messages a search reads per second.
//
//	go test -run '^$' -bench InboxSearch -benchtime 20x ./web/
func BenchmarkInboxSearch(b *testing.B) {
	const stored = 20000
	st := openStore(b, nil)
	body := strings.Repeat(strings.Repeat("lorem ipsum dolor sit amet ", 3)+"\r\n", 125)
	rows := make([]inboxRow, 0, 1000)
	for i := 1; i <= stored; i++ {
		raw := fmt.Sprintf("Received: from mx.shop.test (mx.shop.test [127.0.0.1]) by sink; Mon, 2 Jan 2026 03:04:05 +0000\r\n"+
			"From: =?UTF-8?Q?Caf=C3=A9_Shop?= <news@shop.test>\r\nTo: user%d@example.test\r\n"+
			"Subject: =?UTF-8?B?w4lkaXRpb24gZCfDqXTDqQ==?= %d\r\nMessage-ID: <%d@shop.test>\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\n%s", i, i, i, body)
		rows = append(rows, inboxRow{id: int64(i), session: int64(i), from: "news@shop.test", rcpts: fmt.Sprintf("user%d@example.test", i), code: 250, raw: raw})
		if len(rows) == cap(rows) {
			addInbox(b, st, rows...)
			rows = rows[:0]
		}
	}
	_, sink, _ := filledFakes()
	s, err := New(Options{Store: st, Sink: sink})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, bc := range []struct{ name, query string }{{"search", "?q=no-such-text"}, {"page", ""}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", "http://127.0.0.1/api/v1/sink/messages"+bc.query, nil))
				if rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			if bc.query != "" {
				b.ReportMetric(float64(b.N*maxInboxScan)/b.Elapsed().Seconds(), "messages/s")
			}
		})
	}
}
