package sink

import "testing"

// The built-in catalogue is parsed once, not at each load: a
// configuration's Validate and the sink's load (relaylab sink explain
// does both, each call) share the parse, which is read-only. Two loads
// show it by sharing a built-in profile's list of domains.
func TestBuiltinCatalogueParsedOnce(t *testing.T) {
	t.Parallel()
	a, err := loadProfiles(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, err := profilesChecked("sink", DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := a.named("gmail"), b.named("gmail")
	if pa == nil || pb == nil || len(pa.domains) == 0 {
		t.Fatal("no built-in gmail profile with domains")
	}
	if &pa.domains[0] != &pb.domains[0] {
		t.Error("two loads parsed the built-in catalogue twice: want it parsed once, and shared")
	}
	if pa == pb || pa.rules[0] == pb.rules[0] {
		t.Error("two loads share their compiled profiles: each load compiles its own")
	}
}

// BenchmarkLoadProfiles is the cost of a default configuration's profile
// set, as relaylab sink explain pays it twice.
func BenchmarkLoadProfiles(b *testing.B) {
	cfg := DefaultConfig()
	for b.Loop() {
		if _, err := loadProfiles(cfg); err != nil {
			b.Fatal(err)
		}
	}
}
