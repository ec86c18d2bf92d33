package sink

import (
	"strings"
	"testing"
)

// TestFE23StageTypo: a rule's stage that is a slip of one the sink takes
// is named ("did you mean"), as an unknown key is; one near none is
// refused with the list alone.
func TestFE23StageTypo(t *testing.T) {
	t.Parallel()
	for stage, want := range map[string]string{
		"rpct":    `unknown stage "rpct" (did you mean "rcpt"?): want one of connect, ehlo`,
		"dataa":   `unknown stage "dataa" (did you mean "data"?)`,
		"sending": `unknown stage "sending": want one of connect, ehlo`,
	} {
		_, err := decodeSink(t, sinkDoc(`[{stage: `+stage+`, reply: "451 later"}]`))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("stage %s: error %v, want %q", stage, err, want)
		}
	}
}
