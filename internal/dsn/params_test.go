package dsn

import (
	"slices"
	"strings"
	"testing"
)

// TestParseParams: the DSN parameters of a MAIL or RCPT command are read
// as RFC 3461 4 has them, and the first fault is named: the sink refuses
// it in these words.
func TestParseParams(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		params string
		mail   bool
		want   Params // Fault: only its Why and Form are compared
	}{
		{"RET=full ENVID=QQ+2B1 SIZE=10", true, Params{Keys: []string{"RET", "ENVID"}, Ret: "FULL", EnvID: "QQ+1"}},
		{"NOTIFY=failure,delay ORCPT=rfc822;a+2Bb@x.test", false, Params{Keys: []string{"NOTIFY", "ORCPT"}, Notify: []string{"FAILURE", "DELAY"}, ORCPT: "rfc822;a+b@x.test"}},
		{"ORCPT=utf-8;j\\x{F6}rg@x.test", false, Params{Keys: []string{"ORCPT"}, ORCPT: "utf-8;jörg@x.test"}},
		{"RET=FULL RET=HDRS", true, Params{Keys: []string{"RET", "RET"}, Ret: "FULL", Fault: &ParamFault{Form: true, Why: "RET is given twice; it may appear once (RFC 3461 4)"}}},
		{"ENVID", true, Params{Keys: []string{"ENVID"}, Fault: &ParamFault{Form: true, Why: "ENVID needs a value, as in ENVID=QQ314159 (RFC 3461 4)"}}},
		{"ENVID=" + strings.Repeat("x", 101), true, Params{Keys: []string{"ENVID"}, Fault: &ParamFault{Form: true, Why: "ENVID is 101 characters long; at most 100 are allowed (RFC 3461 4.4)"}}},
		{"ENVID=a+0Ab", true, Params{Keys: []string{"ENVID"}, Fault: &ParamFault{Why: "ENVID is not valid xtext: its decoded value has a control or non-ASCII character (RFC 3461 4, 4.4)"}}},
		{"NOTIFY=NEVER,DELAY", false, Params{Keys: []string{"NOTIFY"}, Fault: &ParamFault{Why: "NOTIFY=NEVER,DELAY: NEVER must stand alone (RFC 3461 4.1)"}}},
		{"ORCPT=rfc822;" + strings.Repeat("b", 494), false, Params{Keys: []string{"ORCPT"}, Fault: &ParamFault{Form: true, Why: "ORCPT: the value is 501 characters long; at most 500 are allowed (RFC 3461 4.2)"}}},
		// The first fault is named, even when a fault of form follows.
		{"ORCPT=x400;a ORCPT=rfc822;a@x.test", false, Params{Keys: []string{"ORCPT", "ORCPT"}, Fault: &ParamFault{Why: "ORCPT: address type x400 is not rfc822 or utf-8 (RFC 3461 4.2)"}}},
		// The other command's keywords are not read.
		{"NOTIFY=NEVER", true, Params{}},
		{"RET=FULL", false, Params{}},
	} {
		got := ParseParams(strings.Fields(tt.params), tt.mail)
		if len(tt.want.Keys) == 0 {
			if got != nil {
				t.Errorf("%q: %+v, want nil", tt.params, got)
			}
			continue
		}
		if got == nil {
			t.Errorf("%q: nil, want %+v", tt.params, tt.want)
			continue
		}
		if !slices.Equal(got.Keys, tt.want.Keys) || got.Ret != tt.want.Ret || got.EnvID != tt.want.EnvID ||
			!slices.Equal(got.Notify, tt.want.Notify) || got.ORCPT != tt.want.ORCPT {
			t.Errorf("%q: %+v, want %+v", tt.params, *got, tt.want)
		}
		switch w := tt.want.Fault; {
		case w == nil && got.Fault != nil:
			t.Errorf("%q: fault %+v, want none", tt.params, *got.Fault)
		case w != nil && (got.Fault == nil || got.Fault.Why != w.Why || got.Fault.Form != w.Form):
			t.Errorf("%q: fault %+v, want %+v", tt.params, got.Fault, *w)
		}
	}
}

// TestFormFault: the faults of form are found whatever the values, in the
// words ParseParams gives them, so that a server whose own parser reads
// the values (go-smtp: the last of a repeated parameter) refuses them as
// the sink does.
func TestFormFault(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		params string
		mail   bool
		want   string // the fault's Why; "" for none
	}{
		{"RET=FULL ENVID=x", true, ""},
		{"ENVID=a+ZZ", true, ""}, // a fault of the value, not of form
		{"RET=FULL RET=HDRS", true, "RET is given twice; it may appear once (RFC 3461 4)"},
		{"NOTIFY=FAILURE NOTIFY=NEVER", false, "NOTIFY is given twice; it may appear once (RFC 3461 4)"},
		{"ORCPT=x400;a ORCPT=rfc822;a@x.test", false, "ORCPT is given twice; it may appear once (RFC 3461 4)"},
		{"ENVID=" + strings.Repeat("x", 101), true, "ENVID is 101 characters long; at most 100 are allowed (RFC 3461 4.4)"},
		{"ORCPT=rfc822;" + strings.Repeat("b", 495), false, "ORCPT: the value is 502 characters long; at most 500 are allowed (RFC 3461 4.2)"},
		{"NOTIFY", false, "NOTIFY needs a value, as in NOTIFY=FAILURE,DELAY (RFC 3461 4)"},
		{"NOTIFY=NEVER NOTIFY=NEVER", true, ""}, // MAIL has no NOTIFY to read
	} {
		f := FormFault(strings.Fields(tt.params), tt.mail)
		switch {
		case tt.want == "" && f != nil:
			t.Errorf("%q: %+v, want no fault", tt.params, *f)
		case tt.want != "" && (f == nil || f.Why != tt.want || !f.Form):
			t.Errorf("%q: %+v, want a fault of form %q", tt.params, f, tt.want)
		}
		if p := ParseParams(strings.Fields(tt.params), tt.mail); f != nil && p.Fault != nil && p.Fault.Form && p.Fault.Why != f.Why {
			t.Errorf("%q: ParseParams says %q, FormFault %q", tt.params, p.Fault.Why, f.Why)
		}
	}
}
