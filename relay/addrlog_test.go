package relay

import (
	"fmt"
	"strings"
	"testing"
)

// TestEveryAddressTriedIsLogged: when a host's first address refuses the
// connection and its second answers, the attempt shows both, so the
// refusal is explained, instead of only the address that answered.
func TestEveryAddressTriedIsLogged(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.12": mta})
	id := h.enqueue("a@s.test", "u@wide.mx.test")
	h.runUntil("delivery", h.done(id, 1))
	if got := d.dialled(); len(got) != 2 || got[0] != "192.0.2.11:25" || got[1] != "192.0.2.12:25" {
		t.Fatalf("dialled %v, want 192.0.2.11 then 192.0.2.12", got)
	}
	att := h.firstAttempt(t, id)
	var texts []string
	for _, a := range att {
		texts = append(texts, strings.TrimSpace(fmt.Sprint(a["host"], " ", a["address"], replyText(a))))
	}
	if len(att) != 2 {
		t.Fatalf("first try logged %d attempts %q, want the refused address and the one that answered", len(att), texts)
	}
	if !strings.Contains(texts[0], "192.0.2.11") || !strings.Contains(texts[0], "refused") {
		t.Errorf("first attempt %q, want 192.0.2.11's refused connection", texts[0])
	}
	if !strings.Contains(texts[1], "250") {
		t.Errorf("second attempt %q, want the delivery", texts[1])
	}
}

func replyText(a map[string]any) string {
	r, _ := a["reply"].(map[string]any)
	var b strings.Builder
	for _, k := range []string{"code", "enhanced", "text"} {
		if v, ok := r[k]; ok {
			b.WriteString(" ")
			b.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(fmt.Sprint(v), "\""), "\""), "\n", " ")))
		}
	}
	return b.String()
}
