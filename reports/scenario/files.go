package scenario

import "path/filepath"

// resolveFiles takes every file name the scenario's sink and relay give
// (keys, certificates, profile catalogues) that is not absolute from the
// scenario file's directory, as a configuration file's are taken from
// its own: a scenario carries its DKIM key beside it, and replays the
// same from any working directory. The names become absolute, so that
// resolving twice changes nothing.
func (sc *Scenario) resolveFiles() {
	dir, err := filepath.Abs(filepath.Dir(sc.file))
	if err != nil {
		return // the names stay relative to the working directory
	}
	resolve := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	for _, p := range append(sc.Relay.Files(), sc.Sink.Files()...) {
		resolve(p)
	}
}
