package relay

import (
	"strings"
	"testing"
	"time"
)

// TestHandHoldDurationsRounded: how long a recipient was held by hand
// is said to the second in the expiry's reason (the log, queue show) and
// the sender's DSN: "held it in the queue by hand for
// 2m24.23131826s" was noise.
func TestHandHoldDurationsRounded(t *testing.T) {
	t.Parallel()
	from := epoch.Add(123456789 * time.Nanosecond)
	holds := []HandHold{{By: "ops", From: from, To: from.Add(2*time.Minute + 24231318260*time.Nanosecond)}}
	if got := handHeldFor(holds); got != 2*time.Minute+24*time.Second {
		t.Errorf("handHeldFor = %v, want 2m24s", got)
	}
	for what, text := range map[string]string{
		"reason":  handHoldReason(holds, epoch.Add(time.Hour)),
		"meaning": handHoldMeaning(holds, 1, ""),
	} {
		if !strings.Contains(text, "by hand for 2m24s of that") {
			t.Errorf("%s %q: want the time held to the second", what, text)
		}
	}
}
