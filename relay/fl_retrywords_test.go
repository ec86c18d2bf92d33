package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestRetryErrorsSayWhatIsMissingOrMeant: an exponential retry without a
// factor says the factor is missing, at relay.retry.factor, instead of
// "factor 0" of a key the file never wrote; a kind or preset one typo
// away names the one meant, as an unknown key does.
func TestRetryErrorsSayWhatIsMissingOrMeant(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, yaml string
		want       []string
		not        string
	}{
		{"factor left out", "relay:\n  retry: {preset: '', kind: exponential, initial: 1m}\n",
			[]string{"relay.retry.factor: exponential retry needs a factor from 1 to 100, and none is set", "factor: 2 doubles"}, "factor 0"},
		{"kind typo", "relay:\n  retry: {preset: '', kind: lst, schedule: [1m]}\n",
			[]string{`relay.retry.kind: "lst": want exponential, list or postfix (did you mean "list"?)`}, ""},
		{"preset typo", "relay:\n  retry: {preset: postfx}\n",
			[]string{`relay.retry.preset: "postfx": want postfix, kumomta or rfc5321 (did you mean "postfix"?)`}, ""},
		{"preset far off", "relay:\n  retry: {preset: sendmail}\n",
			[]string{`relay.retry.preset: "sendmail": want postfix, kumomta or rfc5321`}, "did you mean"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fileWithRelay{Relay: DefaultConfig()}
			err := config.Decode("relaylab.yaml", []byte(tt.yaml), f)
			if err == nil {
				t.Fatal("no error; want one")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q; want it to contain %q", err, w)
				}
			}
			if tt.not != "" && strings.Contains(err.Error(), tt.not) {
				t.Errorf("error %q; want no %q in it", err, tt.not)
			}
		})
	}
	// A factor given still gets the range's error.
	c := RetryConfig{Kind: "exponential", Initial: dur(60e9), Factor: 0.5}
	if err := c.Validate("relay.retry"); err == nil || !strings.Contains(err.Error(), "factor 0.5: want a number from 1 to 100") {
		t.Errorf("factor 0.5: %v; want the range", err)
	}
}
