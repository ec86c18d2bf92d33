package postfixtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/testutil"
)

// Instance is one running private Postfix.
type Instance struct {
	// Addr is its smtpd's address (127.0.0.1:port): submit mail here.
	Addr string
	// ConfigDir holds its main.cf and master.cf (postfix -c ConfigDir).
	ConfigDir string

	l         layout
	postfix   string
	postqueue string
}

// Start starts a private Postfix for t and stops it, and removes its
// files, when t ends; the mail log is printed when t has failed. It needs
// root (Postfix's master starts as root and drops to the postfix user) and
// Postfix installed: without them the test fails under CI and is skipped
// elsewhere.
func Start(t testing.TB, opts Options) *Instance {
	t.Helper()
	testutil.NeedRoot(t)
	inst := &Instance{
		postfix:   testutil.NeedCommand(t, "postfix"),
		postqueue: testutil.NeedCommand(t, "postqueue"),
	}
	if _, err := mainCF(layout{}, opts); err != nil {
		t.Fatal(err)
	}
	reapStale(inst.postfix, os.TempDir())
	root, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		t.Fatalf("postfixtest: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(root)
		t.Fatalf("postfixtest: %v", err)
	}
	inst.l = newLayout(root)
	inst.ConfigDir = inst.l.confDir
	t.Cleanup(func() {
		if err := inst.stop(); err != nil {
			t.Errorf("postfixtest: %v", err)
		}
		if t.Failed() {
			t.Logf("postfix mail log (%s):\n%s", inst.l.name, inst.Log())
		}
		if err := os.RemoveAll(root); err != nil {
			t.Errorf("postfixtest: removing the instance's files: %v", err)
		}
	})
	if err := inst.prepare(); err != nil {
		t.Fatal(err)
	}
	// The port is free when picked but another process may take it before
	// the master binds it: try a few.
	for try := 1; ; try++ {
		err := inst.start(opts)
		if err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) || try == 3 {
			t.Fatalf("%v\nmail log:\n%s", err, inst.Log())
		}
	}
	return inst
}

var errPortTaken = errors.New("the smtpd port was taken")

// prepare makes the directories. The postfix user must be able to reach
// the queue directory, so the root stays world-searchable; the data
// directory belongs to the postfix user (postfix check insists).
func (inst *Instance) prepare() error {
	if err := os.Chmod(inst.l.root, 0o755); err != nil {
		return fmt.Errorf("postfixtest: %v", err)
	}
	for _, d := range []string{inst.l.confDir, inst.l.queueDir, inst.l.dataDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("postfixtest: %v", err)
		}
	}
	u, err := user.Lookup("postfix")
	if err != nil {
		return fmt.Errorf("postfixtest: no postfix user (%v): is Postfix installed?", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(inst.l.dataDir, uid, gid); err != nil {
		return fmt.Errorf("postfixtest: giving the data directory to the postfix user: %v", err)
	}
	return os.Chmod(inst.l.dataDir, 0o700)
}

// start writes the configuration with a fresh port and starts the master.
func (inst *Instance) start(opts Options) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	inst.l.port = port
	inst.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	main, err := mainCF(inst.l, opts)
	if err != nil {
		return err
	}
	for name, text := range map[string]string{"main.cf": main, "master.cf": masterCF(inst.l)} {
		path := filepath.Join(inst.l.confDir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return fmt.Errorf("postfixtest: %v", err)
		}
		// Postfix waits, 300 ms at a time, until a main.cf modified in the
		// last seconds stops changing: date the files back to start at once.
		past := time.Now().Add(-time.Hour)
		if err := os.Chtimes(path, past, past); err != nil {
			return fmt.Errorf("postfixtest: %v", err)
		}
	}
	// postfix start waits (master -w) until the master has bound its
	// sockets, and fails when it could not.
	out, err := inst.command(inst.postfix, "start")
	if err != nil {
		if strings.Contains(inst.Log(), fmt.Sprintf("port %d: Address already in use", port)) {
			return errPortTaken
		}
		// The postfix command reports early errors only to syslog or a
		// terminal; the mail log usually says more.
		return fmt.Errorf("postfixtest: postfix -c %s start: %v\n%s", inst.l.confDir, err, out)
	}
	return nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("postfixtest: finding a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// command runs a Postfix command with -c and this instance's directory.
func (inst *Instance) command(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return exec.CommandContext(ctx, name, append([]string{"-c", inst.l.confDir}, args...)...).CombinedOutput()
}

// masterPID returns the pid of the running master, or 0.
func (inst *Instance) masterPID() int {
	b, err := os.ReadFile(filepath.Join(inst.l.queueDir, "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// stop stops the master with postfix stop, and kills it if that fails.
func (inst *Instance) stop() error {
	pid := inst.masterPID()
	if pid == 0 {
		return nil
	}
	out, stopErr := inst.command(inst.postfix, "stop")
	for range 100 {
		if syscall.Kill(pid, 0) != nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Its children exit when they see the master gone.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("postfix master %d did not stop (postfix stop: %v %s) and cannot be killed: %v", pid, stopErr, out, err)
	}
	return fmt.Errorf("postfix master %d did not stop within 10s (postfix stop: %v %s): killed it", pid, stopErr, out)
}

// Log returns the instance's mail log so far ("" before it has one).
func (inst *Instance) Log() string {
	b, _ := os.ReadFile(inst.l.logFile)
	return string(b)
}

// WaitLog waits until the mail log contains substr (for example
// "status=sent") or ctx ends.
func (inst *Instance) WaitLog(ctx context.Context, substr string) error {
	for {
		if strings.Contains(inst.Log(), substr) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postfixtest: %q never appeared in the mail log: %w", substr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Queue lists the messages in the instance's queue (postqueue -j).
func (inst *Instance) Queue() ([]Message, error) {
	out, err := inst.command(inst.postqueue, "-j")
	if err != nil {
		return nil, fmt.Errorf("postfixtest: postqueue -j: %v: %s", err, out)
	}
	return parseQueue(out)
}

// Flush asks Postfix to try every deferred message now (postqueue -f).
func (inst *Instance) Flush() error {
	if out, err := inst.command(inst.postqueue, "-f"); err != nil {
		return fmt.Errorf("postfixtest: postqueue -f: %v: %s", err, out)
	}
	return nil
}
