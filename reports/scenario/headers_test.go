package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadRefusesBadHeadersAndPaths: a subject or header value with a
// line break (which would write a Bcc: of its own), a header name with a
// space, and an expectation's path that the scenario has not are refused
// at their file, line and key; they were written as they came, and the
// path failed every recipient.
func TestLoadRefusesBadHeadersAndPaths(t *testing.T) {
	t.Parallel()
	const head = "name: x\nmessages:\n  - from: a@b.test\n    to: [c@d.test]\n"
	const exp = "expect:\n  recipients:\n    - {match: \"*@d.test\", status: delivered}\n"
	for _, tc := range []struct{ name, body, want string }{
		{"subject", head + "    subject: \"line1\\nBcc: evil@x.test\"\n" + exp, "x.yaml:5:14: messages[0].subject: \"line1\\nBcc: evil@x.test\" has a line break"},
		{"header value", head + "    headers: {X-A: \"v\\r\\nBcc: e@x.test\"}\n" + exp, "messages[0].headers.X-A: \"v\\r\\nBcc: e@x.test\" has a line break"},
		{"header name", head + "    headers: {\"X A\": v}\n" + exp, "messages[0].headers.X A: \"X A\" is not a header field name"},
		{"path", head + "expect:\n  recipients:\n    - {match: \"*@d.test\", path: nosuchpath}\n", "x.yaml:7:33: expect.recipients[0].path: \"nosuchpath\" is not one of the scenario's paths (relay.paths: sink)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "x.yaml")
			if err := os.WriteFile(f, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v\nwant %q", err, tc.want)
			}
		})
	}
}
