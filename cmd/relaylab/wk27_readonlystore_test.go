//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// wk27AsEnv carries the arguments (JSON) that TestWK27RunAsHelper runs
// as relaylab, as a user that is not root.
const wk27AsEnv = "RELAYLAB_TEST_RUN_AS"

// wk27Ran is what the helper prints: a command's exit and output.
type wk27Ran struct {
	Code   int    `json:"code"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

// TestWK27RunAsHelper runs the relaylab command in wk27AsEnv, in the
// process of a user that is not root, and prints what became of it.
func TestWK27RunAsHelper(t *testing.T) {
	spec := os.Getenv(wk27AsEnv)
	if spec == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(spec), &args); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, t.Context(), args...)
	json.NewEncoder(os.Stdout).Encode(wk27Ran{code, out, errOut})
}

// runAsOther runs relaylab with args as a user whom the file system's
// permissions stop: in this process when the tests do not run as root,
// else in a copy of this test binary run as nobody (root reads and writes
// every file whatever its mode). exe is that copy, made by
// otherUserBinary.
func runAsOther(t *testing.T, exe string, args ...string) wk27Ran {
	t.Helper()
	if exe == "" {
		code, out, errOut := runIn(t, t.Context(), args...)
		return wk27Ran{code, out, errOut}
	}
	spec, _ := json.Marshal(args)
	child := exec.Command(exe, "-test.run=^TestWK27RunAsHelper$")
	child.Env = append(os.Environ(), wk27AsEnv+"="+string(spec))
	child.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := child.Output()
	var r wk27Ran
	// The JSON line, before the test binary's PASS.
	if i := strings.Index(string(out), "{"); err != nil || i < 0 || json.NewDecoder(bytes.NewReader(out[i:])).Decode(&r) != nil {
		t.Fatalf("the helper run as nobody: %v\n%s", err, out)
	}
	return r
}

// otherUserBinary is a copy of this test binary that nobody may run, in
// dir, when the tests run as root; "" otherwise.
func otherUserBinary(t *testing.T, dir string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return ""
	}
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	exe := filepath.Join(dir, "relaylab.test")
	dst, err := os.OpenFile(exe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestReadOnlyStoreReads: the commands that only read a store (queue
// list, show and rests, suppress list, sink sessions, report) read one in
// a directory this user may not write, where SQLite cannot create the
// files it keeps beside a store, and say on stderr that they opened it
// read-only; they failed there with "cannot create files in the
// directory". A command that changes the store is refused, saying which
// file this user may not write, exit 1, and nothing is created beside
// the store.
func TestReadOnlyStoreReads(t *testing.T) {
	t.Parallel()
	db, ids := fq22Store(t, "ro@r.test")
	dir := filepath.Dir(db)
	expectFile := filepath.Join(dir, "expect.yaml")
	if err := os.WriteFile(expectFile, []byte("name: app\nexpect:\n  recipients:\n    - {match: \"*@r.test\", count: 0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The store as a serve that stopped cleanly leaves it, readable by
	// all, in a directory its owner alone may write.
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{db, 0o644}, {dir, 0o755}, {filepath.Dir(dir), 0o755}} {
		if err := os.Chmod(f.name, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	exe := otherUserBinary(t, t.TempDir())
	if exe != "" {
		if err := os.Chmod(filepath.Dir(exe), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Dir(filepath.Dir(exe)), 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"queue", "list"}, ids[0]},
		{[]string{"queue", "show", ids[0]}, "ro@r.test"},
		{[]string{"queue", "rests"}, "no destination rests"},
		{[]string{"suppress", "list"}, "the suppression list is empty"},
		{[]string{"sink", "sessions"}, ""},
		{[]string{"report"}, "recipients"},
		{[]string{"expect", expectFile}, "PASS app"},
	} {
		r := runAsOther(t, exe, append(c.args, "--db", db)...)
		if r.Code != 0 || !strings.Contains(r.Stdout, c.want) || !strings.Contains(r.Stderr, "the store "+db+" is opened read-only") ||
			!strings.Contains(r.Stderr, "immutable") {
			t.Errorf("%v on a store in a directory this user may not write: exit %d (want 0), stdout %q (want %q), stderr:\n%s",
				c.args, r.Code, r.Stdout, c.want, r.Stderr)
		}
	}
	for _, args := range [][]string{{"queue", "retry", ids[0]}, {"suppress", "add", "x@r.test"}} {
		r := runAsOther(t, exe, append(args, "--db", db)...)
		if r.Code != 1 || !strings.Contains(r.Stderr, "this command records into it") {
			t.Errorf("%v on a store this user may not write: exit %d (want 1), stderr:\n%s", args, r.Code, r.Stderr)
		}
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(db + suffix); err == nil {
			t.Errorf("%s%s was created by a read-only use", db, suffix)
		}
	}
}
