package smtpload

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

func TestRun(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		opts        smtptest.Options
		cfg         Config
		accepted    int
		replies     map[string]int
		connErrKind string
	}{
		{
			name:     "new connection per message",
			cfg:      Config{Sessions: 4, Messages: 40, Size: 2000, Rcpts: 1, Reuse: 1, To: "u{n}@sink.test"},
			accepted: 40,
			replies:  map[string]int{"mail 250": 40, "rcpt 250": 40, "data 354": 40, "data-end 250": 40},
		},
		{
			name:     "reuse and pipelining, three recipients",
			cfg:      Config{Sessions: 3, Messages: 30, Size: 100, Rcpts: 3, Reuse: 0, Pipeline: true, To: "u{n}.{r}@sink.test"},
			accepted: 30,
			replies:  map[string]int{"mail 250": 30, "rcpt 250": 90, "data 354": 30, "data-end 250": 30},
		},
		{
			name:     "every recipient rejected",
			cfg:      Config{Sessions: 2, Messages: 10, Size: 100, Rcpts: 2, Reuse: 5, To: "reject{r}@sink.test"},
			accepted: 0,
			replies:  map[string]int{"mail 250": 10, "rcpt 550 5.1.1": 20},
		},
		{
			name:     "rejected pipelined",
			cfg:      Config{Sessions: 2, Messages: 10, Size: 100, Rcpts: 1, Reuse: 0, Pipeline: true, To: "temp{n}@sink.test"},
			accepted: 0,
			replies:  map[string]int{"mail 250": 10, "rcpt 451 4.2.0": 10, "data 502 5.5.1 (pipelined)": 10}, // go-smtp answers DATA without recipients with 502,
		},
		{
			name:     "fewer messages than sessions",
			cfg:      Config{Sessions: 10, Messages: 3, Size: 100, Rcpts: 1, Reuse: 1, To: "u{n}@sink.test"},
			accepted: 3,
			replies:  map[string]int{"mail 250": 3, "rcpt 250": 3, "data 354": 3, "data-end 250": 3},
		},
		{
			name:     "421 closes and reconnects",
			cfg:      Config{Sessions: 1, Messages: 5, Size: 100, Rcpts: 1, Reuse: 0, To: "bye{n}@sink.test"},
			accepted: 0,
			replies:  map[string]int{"mail 250": 5, "rcpt 421 4.4.2": 5},
		},
		{
			name:     "starttls and auth",
			opts:     smtptest.Options{StartTLS: true, Users: map[string]string{"u": "p"}},
			cfg:      Config{Sessions: 2, Messages: 8, Size: 100, Rcpts: 1, Reuse: 2, StartTLS: true, AuthUser: "u", AuthPass: "p", To: "u{n}@sink.test"},
			accepted: 8,
			replies:  map[string]int{"mail 250": 8, "rcpt 250": 8, "data 354": 8, "data-end 250": 8},
		},
		{
			name:     "bad password",
			opts:     smtptest.Options{Users: map[string]string{"u": "p"}},
			cfg:      Config{Sessions: 1, Messages: 3, Size: 100, Rcpts: 1, Reuse: 1, AuthUser: "u", AuthPass: "wrong", To: "u{n}@sink.test"},
			accepted: 0,
			replies:  map[string]int{"auth 535 5.7.8": 3},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tc.opts)
			cfg := tc.cfg
			cfg.Target = srv.Addr
			cfg.From = "load{n}@client.test"
			cfg.TLS = &tls.Config{InsecureSkipVerify: true}
			var done atomic.Int64
			cfg.Done = &done
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			var table bytes.Buffer
			res.Table(&table)
			if res.Accepted != tc.accepted || srv.Accepted() != tc.accepted {
				t.Errorf("accepted: we counted %d, the server %d; want %d\n%s", res.Accepted, srv.Accepted(), tc.accepted, table.String())
			}
			if res.Attempted != cfg.Messages || int(done.Load()) != cfg.Messages {
				t.Errorf("attempted %d, progress %d; want %d", res.Attempted, done.Load(), cfg.Messages)
			}
			if want := min(cfg.Sessions, cfg.Messages); res.Sessions != want {
				t.Errorf("sessions %d, want %d", res.Sessions, want)
			}
			for k, v := range tc.replies {
				if res.Replies[k] != v {
					t.Errorf("replies[%q] = %d, want %d\n%s", k, res.Replies[k], v, table.String())
				}
			}
			if len(res.ConnErrors) != 0 {
				t.Errorf("connection errors: %v\n%s", res.ConnErrors, table.String())
			}
		})
	}
}

func TestRunConnectionErrors(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: reserve one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	res, err := Run(context.Background(), Config{Target: addr, Sessions: 2, Messages: 6, Rcpts: 1, Reuse: 1, From: "a@x", To: "b@y"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ConnErrors["refused"] != 6 || res.Accepted != 0 {
		t.Errorf("want 6 refused connections, got %v (accepted %d)", res.ConnErrors, res.Accepted)
	}
	var table bytes.Buffer
	res.Table(&table)
	if !strings.Contains(table.String(), "refused:") {
		t.Errorf("table does not list refused connections:\n%s", table.String())
	}

	// A server that is not SMTP.
	l, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	res, err = Run(context.Background(), Config{Target: l.Addr().String(), Sessions: 1, Messages: 2, Rcpts: 1, Reuse: 1, From: "a@x", To: "b@y"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ConnErrors["protocol"] != 2 {
		t.Errorf("want 2 protocol errors, got %v", res.ConnErrors)
	}
}

func TestRunValidates(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Sessions: 1, Rcpts: 1, To: "x"},
		{Target: "x:1", Sessions: 0, Rcpts: 1, To: "x"},
		{Target: "x:1", Sessions: 1, Rcpts: 0, To: "x"},
		{Target: "x:1", Sessions: 1, Rcpts: 1, To: "x", StartTLS: true, ImplicitTLS: true},
		{Target: "x:1", Sessions: 1, Rcpts: 1},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) accepted a bad config", cfg)
		}
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, Config{Target: srv.Addr, Sessions: 2, Messages: 1000, Rcpts: 1, Reuse: 1, From: "a@x", To: "b@y"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempted != 0 {
		t.Errorf("a cancelled run attempted %d messages", res.Attempted)
	}
}

func BenchmarkLoad(b *testing.B) {
	for _, bc := range []struct {
		name     string
		reuse    int
		pipeline bool
	}{{"reuse1", 1, false}, {"reuse100", 100, false}, {"reuse100-pipelined", 100, true}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := smtptest.Start(b, smtptest.Options{})
			b.ResetTimer()
			res, err := Run(context.Background(), Config{Target: srv.Addr, Sessions: 8, Messages: b.N, Size: 4096, Rcpts: 1, Reuse: bc.reuse, Pipeline: bc.pipeline, From: "a@x", To: "u{n}@y"})
			if err != nil {
				b.Fatal(err)
			}
			if res.Accepted != b.N {
				b.Fatalf("accepted %d of %d", res.Accepted, b.N)
			}
			b.ReportMetric(res.Rate(), "msgs/s")
		})
	}
}
