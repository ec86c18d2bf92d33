package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// holdingRelay is a relay whose shaping holds one recipient of each
// message it retries.
type holdingRelay struct {
	*fakeRelay
	waiting int
}

var _ RetryHoldsAPI = holdingRelay{}

func (h holdingRelay) RetryNowHeld(ctx context.Context, id string) (Retry, error) {
	if err := h.RetryNow(ctx, id); err != nil {
		return Retry{}, err
	}
	return Retry{Waiting: h.waiting, Held: []RetryHeld{{Address: "b@yahoo.test", Until: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		Hold: "not tried: destination path:p:yahoo.test rests until 2030-01-01T00:00:00Z after 421 4.7.0 slow down"}}}, nil
}

// TestW14RetryNamesHolds: POST /api/v1/queue/{id}/retry says which
// recipients the relay's shaping still holds, and until when, instead of
// "retry scheduled" alone: "partly held" when others are due now, "held"
// when none is.
func TestW14RetryNamesHolds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		waiting    int
		status     string
		due        int
		detailHas  string
		detailLack string
	}{
		{2, "partly held", 1, "the other 1 are due now", ""},
		{1, "held", 0, "b@yahoo.test held until 2030-01-01T00:00:00Z", "due now"},
	} {
		relay, _, _ := filledFakes()
		ts := startServer(t, Options{Relay: holdingRelay{relay, tc.waiting}})
		code, _, body := do(t, "POST", ts.url+"/api/v1/queue/order-2/retry", "")
		var got struct {
			Status string      `json:"status"`
			Due    *int        `json:"due"`
			Held   []RetryHeld `json:"held"`
			Detail string      `json:"detail"`
		}
		if err := json.Unmarshal(body, &got); err != nil || code != http.StatusAccepted {
			t.Fatalf("%d %s (%v)", code, body, err)
		}
		if got.Status != tc.status || got.Due == nil || *got.Due != tc.due || len(got.Held) != 1 || got.Held[0].Address != "b@yahoo.test" ||
			!got.Held[0].Until.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || !strings.Contains(got.Detail, tc.detailHas) ||
			(tc.detailLack != "" && strings.Contains(got.Detail, tc.detailLack)) {
			t.Errorf("%d waiting: %s\nwant status %q, due %d, b@yahoo.test held until 2030-01-01, and a detail saying %q", tc.waiting, body, tc.status, tc.due, tc.detailHas)
		}
	}
	// A relay that names no holds: as before.
	relay, _, _ := filledFakes()
	ts := startServer(t, Options{Relay: relay})
	if code, _, body := do(t, "POST", ts.url+"/api/v1/queue/order-2/retry", ""); code != http.StatusAccepted || strings.TrimSpace(string(body)) != `{"id":"order-2","status":"retry scheduled"}` {
		t.Errorf("%d %s, want 202 retry scheduled", code, body)
	}
}

// TestRetryHoldPastExpiry: a recipient held past its message's expiry is
// said to expire unsent then, in the retry's detail and its held entry's
// expires, where the answer gave the hold's end alone.
func TestRetryHoldPastExpiry(t *testing.T) {
	t.Parallel()
	exp := time.Date(2029, 12, 30, 0, 0, 0, 0, time.UTC)
	a := retryAnswerOf("m", Retry{Waiting: 1, Held: []RetryHeld{{Address: "b@yahoo.test", Until: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		Hold: "outside the sending windows of route default", Expires: &exp}}})
	if !strings.Contains(a.Detail, "after the message expires at 2029-12-30T00:00:00Z: it expires unsent then") {
		t.Errorf("detail %q, want it to say the message expires unsent first", a.Detail)
	}
	b, err := json.Marshal(a)
	if err != nil || !strings.Contains(string(b), `"expires":"2029-12-30T00:00:00Z"`) {
		t.Errorf("%s (%v), want the held entry's expires", b, err)
	}
}
