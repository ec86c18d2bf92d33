package sink

import (
	"strings"
	"testing"
)

// A profile file's profile named as one defined already (a built-in, or
// an earlier one) is refused at its name: it used to replace that one for
// all its domains, so gmail.com answered with the file's rules. A profile
// of its own name that lists a built-in's domain takes that domain only.
func TestProfileNameDefinedTwice(t *testing.T) {
	t.Parallel()
	head := "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n  profile_files: [FILE]\n"
	tests := []struct {
		name, file string
		want       []string
	}{
		{"a built-in's name", "profiles:\n  - name: acme\n    domains: [acme.test]\n    rules: [{stage: rcpt, reply: \"550 no\"}]\n  - name: gmail\n    domains: [mine.test]\n    rules: [{stage: rcpt, reply: \"550 no\"}]\n",
			[]string{"sink.yaml:5:", "sink.profile_files[0]:", "extra.yaml:5:", "profiles[1].name:", `profile "gmail" is defined already, in profiles.yaml (built in)`,
				"all its domains (gmail.com, googlemail.com, gmail.test)", `"gmail-custom"`, "domains:"}},
		{"twice in one file", "profiles:\n  - name: acme\n    domains: [acme.test]\n    rules: [{stage: rcpt, reply: \"550 no\"}]\n  - name: acme\n    domains: [acme2.test]\n    rules: [{stage: rcpt, reply: \"451 later\"}]\n",
			[]string{"extra.yaml:5:", "profiles[1].name:", `profile "acme" is defined already, in `, "extra.yaml", "(acme.test)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(head, "FILE", writeProfiles(t, tc.file), 1)
			_, err := decodeSink(t, doc)
			wantInOrder(t, tc.name, err, tc.want...)
		})
	}
	// The documented way: a profile of another name lists gmail.com.
	file := writeProfiles(t, "profiles:\n  - name: mygmail\n    domains: [gmail.com]\n    rules: [{stage: rcpt, reply: \"550 5.1.1 mine\"}]\n")
	cfg, err := decodeSink(t, strings.Replace(head, "FILE", file, 1))
	if err != nil {
		t.Fatalf("a profile of its own name listing gmail.com: %v", err)
	}
	ps, err := loadProfiles(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p := ps.forDomain("gmail.com"); p == nil || p.name != "mygmail" {
		t.Errorf("gmail.com: got %v, want mygmail", p)
	}
	if p := ps.forDomain("googlemail.com"); p == nil || p.name != "gmail" {
		t.Errorf("googlemail.com: got %v, want the built-in gmail", p)
	}
}
