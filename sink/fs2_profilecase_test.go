package sink

import (
	"testing"
)

// A sink.profiles key that is a regexp with a capital letter it must
// match as written never matches (domains are matched in lower case): it
// is refused at its key. One case-insensitive, or whose capitals are
// classes (\S), is taken, and matches.
func TestFS2ProfileRegexpCapital(t *testing.T) {
	t.Parallel()
	doc := func(key string) string {
		return "sink:\n  listeners:\n    - {name: mx, listen: \"127.0.0.1:0\"}\n  profiles: {'" + key + "': gmail}\n"
	}
	for _, key := range []string{`/^re\.X\.test$/`, `/^(MX|Mail)\.test$/`, `/^x\x41+\.test$/`, `/^a(Bx|Cy){2}\.test$/`} {
		_, err := decodeSink(t, doc(key))
		wantInOrder(t, key, err, "sink.profiles.'"+key+"'", "needs the capital letter", "never matches", "lower case", "(?i)")
	}
	for key, dom := range map[string]string{
		`/(?i)^re\.X\.test$/`:   "re.x.test",
		`/^re\.x\.test$/`:       "re.x.test",
		`/^\S+\.y\.test$/`:      "re.y.test",
		`/^[A-Za-z]\.z\.test$/`: "q.z.test",
		`/^(a|B)\.v\.test$/`:    "a.v.test", // B alone could never match
		`*.W.test`:              "a.w.test",
	} {
		cfg, err := decodeSink(t, doc(key))
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		ps, err := profilesOf("sink", cfg, true)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if p := ps.forDomain(dom); p == nil || p.name != "gmail" {
			t.Errorf("%s: domain %s gets profile %v, want gmail", key, dom, p)
		}
	}
}
