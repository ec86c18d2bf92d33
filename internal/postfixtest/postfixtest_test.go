package postfixtest

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func TestMainCF(t *testing.T) {
	t.Parallel()
	l := layout{root: "/tmp/pft", confDir: "/tmp/pft/etc", queueDir: "/tmp/pft/queue", dataDir: "/tmp/pft/data", logFile: "/tmp/pft/maillog", name: "pft-1", port: 2600}
	tests := []struct {
		name    string
		opts    Options
		want    []string // lines main.cf must hold
		wantErr string
	}{
		{"defaults", Options{RelayHost: "127.0.0.1:2525"},
			[]string{"relayhost = [127.0.0.1]:2525", "queue_directory = /tmp/pft/queue", "data_directory = /tmp/pft/data",
				"maillog_file = /tmp/pft/maillog", "maillog_file_prefixes = /tmp/pft", "syslog_name = pft-1",
				"inet_interfaces = 127.0.0.1", "mynetworks = 127.0.0.0/8", "mydestination = ", "queue_run_delay = 1s",
				"minimal_backoff_time = 2s", "maximal_backoff_time = 4s"}, ""},
		{"extra overrides", Options{RelayHost: "[::1]:25", Extra: map[string]string{"maximal_backoff_time": "10s", "smtp_tls_security_level": "may"}},
			[]string{"relayhost = [::1]:25", "maximal_backoff_time = 10s", "smtp_tls_security_level = may"}, ""},
		{"no port", Options{RelayHost: "127.0.0.1"}, nil, "want host:port"},
		{"bad port", Options{RelayHost: "127.0.0.1:smtp"}, nil, "is not a number"},
		{"not loopback", Options{RelayHost: "192.0.2.1:25"}, nil, "not a loopback address"},
		{"a name", Options{RelayHost: "localhost:25"}, nil, "not a loopback address"},
		{"bad extra name", Options{RelayHost: "127.0.0.1:25", Extra: map[string]string{"a = b": "c"}}, nil, "parameter name"},
		{"multi-line extra", Options{RelayHost: "127.0.0.1:25", Extra: map[string]string{"a": "b\nrelayhost = x"}}, nil, "one-line value"},
	}
	for _, tt := range tests {
		got, err := mainCF(l, tt.opts)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		lines := strings.Split(got, "\n")
		for _, w := range tt.want {
			found := false
			for _, line := range lines {
				found = found || line == w
			}
			if !found {
				t.Errorf("%s: main.cf lacks %q:\n%s", tt.name, w, got)
			}
		}
	}
}

func TestMasterCF(t *testing.T) {
	t.Parallel()
	got := masterCF(layout{port: 31337})
	for _, w := range []string{"127.0.0.1:31337 inet n - n - - smtpd\n", "qmgr unix n - n 300 1 qmgr\n", "postlog unix-dgram n - n - 1 postlogd\n"} {
		if !strings.Contains(got, w) {
			t.Errorf("master.cf lacks %q:\n%s", w, got)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
		if f := strings.Fields(line); f[0] != "#" && (len(f) < 8 || f[4] != "n") {
			t.Errorf("service %q: want 8 fields and no chroot", line)
		}
	}
}

func TestReapStale(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skipf("cannot run true to get the pid of a finished process: %v", err)
	}
	dirs := []struct {
		name  string
		owner string // "" writes no owner file
		stays bool
	}{
		{dirPrefix + "dead", strconv.Itoa(gone.Process.Pid), false},
		{dirPrefix + "live", strconv.Itoa(os.Getpid()), true},
		{dirPrefix + "starting", "", true},
		{dirPrefix + "garbled", "not a pid", true},
		{"elsewhere", strconv.Itoa(gone.Process.Pid), true},
	}
	for _, d := range dirs {
		root := filepath.Join(tmp, d.name)
		if err := os.MkdirAll(filepath.Join(root, "queue", "pid"), 0o755); err != nil {
			t.Fatal(err)
		}
		if d.owner != "" {
			if err := os.WriteFile(filepath.Join(root, ownerFile), []byte(d.owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	reapStale("postfix-is-never-run-without-a-master", tmp)
	for _, d := range dirs {
		_, err := os.Stat(filepath.Join(tmp, d.name))
		if stays := err == nil; stays != d.stays {
			t.Errorf("%s: still there %v, want %v", d.name, stays, d.stays)
		}
	}
}

func TestParseQueue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    int
		check   func(ms []Message) bool
		wantErr bool
	}{
		{"empty", "", 0, nil, false},
		{"two", `{"queue_name": "deferred", "queue_id": "B654A988220", "arrival_time": 1795831565, "message_size": 419, "forced_expire": false, "sender": "a@b.test", "recipients": [{"address": "bob@example.test", "delay_reason": "connect to 127.0.0.1[127.0.0.1]:2999: Connection refused"}]}
{"queue_name": "active", "queue_id": "C1", "arrival_time": 1, "message_size": 2, "sender": "", "recipients": [{"address": "x@y.test"}, {"address": "z@y.test"}]}
`, 2, func(ms []Message) bool {
			return ms[0].Queue == "deferred" && ms[0].ID == "B654A988220" && ms[0].ArrivalTime().Unix() == 1795831565 &&
				strings.Contains(ms[0].Recipients[0].DelayReason, "Connection refused") && len(ms[1].Recipients) == 2
		}, false},
		{"not json", "Mail queue is empty\n", 0, nil, true},
		{"wrong type", `{"queue_id": 5}`, 0, nil, true},
	}
	for _, tt := range tests {
		ms, err := parseQueue([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if len(ms) != tt.want || (tt.check != nil && !tt.check(ms)) {
			t.Errorf("%s: got %+v", tt.name, ms)
		}
	}
}

func FuzzParseQueue(f *testing.F) {
	f.Add([]byte(`{"queue_name": "deferred", "queue_id": "B6", "arrival_time": 1, "message_size": 4, "sender": "a@b.test", "recipients": [{"address": "b@c.test", "delay_reason": "x"}]}` + "\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte("postqueue: fatal: whatever"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := parseQueue(b)
		if err != nil && ms != nil {
			t.Errorf("messages %v with error %v", ms, err)
		}
	})
}

// receiver is a tiny receiving MTA: it defers the first `defer` RCPTs
// with 451 and keeps the messages it accepts.
type receiver struct {
	mu     sync.Mutex
	defers int
	rcpts  int
	got    []string
	cond   chan struct{} // closed and replaced on each message
}

func (r *receiver) NewSession(*smtp.Conn) (smtp.Session, error) { return &rsession{r: r}, nil }

type rsession struct {
	r     *receiver
	rcpts []string
}

var _ smtp.Backend = (*receiver)(nil)
var _ smtp.Session = (*rsession)(nil)

func (s *rsession) Reset()                               { s.rcpts = nil }
func (s *rsession) Logout() error                        { return nil }
func (s *rsession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *rsession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.rcpts++
	if s.r.rcpts <= s.r.defers {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "try again later"}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}
func (s *rsession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.got = append(s.r.got, strings.Join(s.rcpts, ",")+"\n"+string(b))
	close(s.r.cond)
	s.r.cond = make(chan struct{})
	return nil
}

// messages returns what arrived and a channel closed at the next arrival.
func (r *receiver) messages() ([]string, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...), r.cond
}

func startReceiver(t testing.TB, defers int) (*receiver, string) {
	t.Helper()
	r := &receiver{defers: defers, cond: make(chan struct{})}
	srv := smtp.NewServer(r)
	srv.Domain = "receiver.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r, ln.Addr().String()
}

// TestInstancesRelay runs two private instances at once, each relaying to
// its own receiver that defers the first attempt: every name, port and
// directory must be the instance's own.
func TestInstancesRelay(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rcv, addr := startReceiver(t, 1)
			inst := Start(t, Options{RelayHost: addr, Extra: map[string]string{"maximal_backoff_time": "60s", "minimal_backoff_time": "60s"}})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			to := name + "@dest.test"
			if err := inst.Submit(ctx, "sender@src.test", []string{to}, []byte("Subject: "+name+"\r\n\r\nHello from "+name+".\r\n")); err != nil {
				t.Fatal(err)
			}
			// The receiver defers the first attempt; with a backoff of a
			// minute the message waits in the deferred queue until flushed.
			if err := inst.WaitLog(ctx, "status=deferred"); err != nil {
				t.Fatal(err)
			}
			q, err := inst.Queue()
			if err != nil {
				t.Fatal(err)
			}
			if len(q) != 1 || q[0].Sender != "sender@src.test" || len(q[0].Recipients) != 1 || q[0].Recipients[0].Address != to ||
				!strings.Contains(q[0].Recipients[0].DelayReason, "451 4.7.1") {
				t.Fatalf("queue %+v, want one message to %s deferred with 451 4.7.1", q, to)
			}
			if err := inst.Flush(); err != nil {
				t.Fatal(err)
			}
			for {
				got, next := rcv.messages()
				if len(got) > 0 {
					if len(got) != 1 || !strings.HasPrefix(got[0], to+"\n") || !strings.Contains(got[0], "Hello from "+name) {
						t.Fatalf("receiver got %q, want the one message to %s", got, to)
					}
					break
				}
				select {
				case <-next:
				case <-ctx.Done():
					t.Fatalf("the message never arrived after postqueue -f")
				}
			}
			if err := inst.WaitLog(ctx, "status=sent"); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(inst.Log(), inst.l.name+"/smtp[") {
				t.Errorf("mail log lines do not carry the instance's syslog name %s", inst.l.name)
			}
			if q, err := inst.Queue(); err != nil || len(q) != 0 {
				t.Errorf("queue after delivery: %+v (%v), want empty", q, err)
			}
		})
	}
}
