// Package testutil holds helpers shared by relaylab's tests.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where nothing may
// be skipped for want of a tool: .ci/test installs every tool the tests use.
func InCI() bool { return os.Getenv("CI") != "" }

// NeedCommand returns the path of an external program the test needs (swaks,
// smtp-source, postfix, rbldnsd, chromium...). When it is missing the test
// fails under CI and is skipped elsewhere, saying how to install it.
func NeedCommand(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{"", "/usr/sbin/", "/usr/lib/postfix/sbin/"} {
		if p, err := exec.LookPath(dir + name); err == nil {
			return p
		}
	}
	msg := name + " is not installed: run .ci/test (or ../shared/peers/install) to install the tools the integration tests use"
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// NeedRoot fails (CI) or skips (elsewhere) a test that must run as root, such
// as one that starts Postfix.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if InCI() {
		t.Fatal("this test must run as root under CI")
	}
	t.Skip("this test must run as root")
}
