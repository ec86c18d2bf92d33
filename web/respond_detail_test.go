package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAPIErrorDetailSaysItOnce: the error line says the kind ("invalid
// input", "not found"); the detail is the component's text without it.
func TestAPIErrorDetailSaysItOnce(t *testing.T) {
	t.Parallel()
	s := &Server{}
	for _, tc := range []struct {
		err           error
		code          int
		error, detail string
	}{
		{fmt.Errorf("%w: rules:2:3: rules[1].dmarc: never matches", ErrInvalid), 400, "replacing the rules: invalid input", "rules:2:3: rules[1].dmarc: never matches"},
		{fmt.Errorf("%w: no relay message \"x\"", ErrNotFound), 404, "replacing the rules: not found", `no relay message "x"`},
	} {
		w := httptest.NewRecorder()
		s.writeAPIError(w, httptest.NewRequest(http.MethodPut, "/api/v1/sink/rules", nil), "replacing the rules", tc.err)
		var got apiError
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if w.Code != tc.code || got.Error != tc.error || got.Detail != tc.detail {
			t.Errorf("%v: %d %+v, want %d {%s %s}", tc.err, w.Code, got, tc.code, tc.error, tc.detail)
		}
	}
}
