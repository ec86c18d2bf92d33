package relay

import (
	"reflect"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestNullMXBesideOtherMX: RFC 7505 3: a null MX is the single MX record
// ".". Beside other MX records the "." record names no host and is left
// out, and the mail goes to the others; it used to be bounced 556 5.1.10
// and the address suppressed. A "." alone is still a null MX.
func TestNullMXBesideOtherMX(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, to string
		want     string
	}{
		{"beside another MX", "ok@mixednull.mx.test", events.RelayDelivered},
		{"alone", "ok@nullmx.mx.test", events.RelayBounced},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, nil)
			h, _, _ := mxHarnessRecords(t, map[string]*fakeMTA{"192.0.2.1": mta}, []string{
				"mixednull.mx.test. 300 IN MX 0 .",
				"mixednull.mx.test. 300 IN MX 10 mx1.mx.test.",
			})
			id := h.enqueue("s@s.test", tt.to)
			h.runUntil("an outcome", h.done(id, 1))
			if got := h.terminal(id)[tt.to]; !reflect.DeepEqual(got, []string{tt.want}) {
				t.Errorf("terminal %v, want %s", got, tt.want)
			}
		})
	}
}
