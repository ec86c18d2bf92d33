package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDMARCRejectFailsWithoutItsCause: dmarc-reject.yaml's verdicts fail
// when what they show is taken away: the relay's signature, the key the
// zone publishes, the sender's p=reject.
func TestDMARCRejectFailsWithoutItsCause(t *testing.T) {
	t.Parallel()
	path := filepath.Join(dir, "dmarc-reject.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const notPass = `reader@inbox.test (message msg-1): expected the last reply to match "250 2.0.0 Accepted: SPF, DKIM and DMARC pass", got "250 2.0.0 Message accepted as 1"`
	for _, tc := range []struct{ name, from, to, want string }{
		{"unsigned", "  dkim:\n    - {domain: shop.test, selector: s2026, key_file: dmarc-reject.key}\n", "", notPass},
		{"another key published", "p=CPn8xupEQ13AIvHdAWnS7LFakqTpJ/RxwCf53ZmQ/bc=", "p=AAAAxupEQ13AIvHdAWnS7LFakqTpJ/RxwCf53ZmQ/bc=", notPass},
		{"p=none", `_dmarc.bank           TXT "v=DMARC1; p=reject"`, `_dmarc.bank           TXT "v=DMARC1; p=none"`,
			"customer@inbox.test (message msg-2): expected status bounced, got delivered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(string(data), tc.from) {
				t.Fatalf("dmarc-reject.yaml no longer contains %q", tc.from)
			}
			sc, err := Parse(path, []byte(strings.Replace(string(data), tc.from, tc.to, 1)))
			if err != nil {
				t.Fatal(err)
			}
			out := replay(t, sc)
			var msgs []string
			for _, r := range out.Results {
				if !r.Pass {
					msgs = append(msgs, r.Message)
				}
			}
			if got := strings.Join(msgs, "\n"); !strings.Contains(got, tc.want) {
				t.Errorf("failures:\n%s\nwant one containing %q", got, tc.want)
			}
		})
	}
}
