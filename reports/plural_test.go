package reports

import (
	"bytes"
	"strings"
	"testing"
)

// One recipient and one attempt are "1 recipient, 1 attempt" in a
// verdict line, not "1 recipients, 1 attempts".
func TestVerdictCountsInWords(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	WriteVerdicts(&b, []Verdict{
		{Name: "one", Passed: true, Summary: Summary{Recipients: 1, Attempts: 1}},
		{Name: "two", Passed: true, Summary: Summary{Recipients: 2, Attempts: 0}},
	})
	for _, want := range []string{"PASS one: 1 recipient, 1 attempt\n", "PASS two: 2 recipients, 0 attempts\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("verdicts lack %q:\n%s", want, b.String())
		}
	}
}
