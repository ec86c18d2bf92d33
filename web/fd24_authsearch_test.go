package web

import "testing"

// M7: spf:, dkim: and dmarc: find messages by the sink's own result of
// that check, each taking the results RFC 8601 defines for its method;
// a message the sink did not check matches none of them, and a word the
// method does not have is an error that lists those it has.
func TestFD24AuthQualifiers(t *testing.T) {
	t.Parallel()
	failed := &InboxAuth{SPF: "softfail", DKIM: "fail", DMARC: "fail"}
	passed := &InboxAuth{SPF: "pass", DKIM: "pass", DMARC: "pass"}
	for _, tc := range []struct {
		q                         string
		failed, passed, unchecked bool
	}{
		{"dkim:fail", true, false, false},
		{"DKIM:Fail", true, false, false},
		{"spf:softfail dmarc:fail", true, false, false},
		{"dmarc:pass", false, true, false},
		{"spf:policy", false, false, false},
		{"-dkim:pass", true, false, true}, // not pass: unchecked too
		{"dkim:none", false, false, false},
	} {
		s, err := parseSearch(tc.q)
		if err != nil {
			t.Errorf("q=%q: %v", tc.q, err)
			continue
		}
		for _, c := range []struct {
			name string
			auth *InboxAuth
			want bool
		}{{"failed", failed, tc.failed}, {"passed", passed, tc.passed}, {"unchecked", nil, tc.unchecked}} {
			f := fieldsOf(&InboxMessage{}, map[string]string{}).withAuth(c.auth)
			if got := s.match(f); got != c.want {
				t.Errorf("q=%q on the %s message: match %v, want %v", tc.q, c.name, got, c.want)
			}
		}
	}
	checkSearchError(t, "dmarc:softfail", `bad "dmarc:" in q`, "dmarc: takes a result RFC 8601 defines for DMARC", "pass, fail, none, temperror, permerror, not \"softfail\"")
	checkSearchError(t, "dkim:failed", `bad "dkim:" in q`, "pass, fail, neutral, none, policy, temperror, permerror")
	checkSearchError(t, "spf:", `qualifier "spf:" without a value in q`, "the sink's SPF result")
}
