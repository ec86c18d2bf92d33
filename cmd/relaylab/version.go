package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func init() {
	register(command{
		name:    "version",
		summary: "print relaylab's version, commit and Go version (for bug reports)",
		run: func(_ context.Context, e *env, args []string) error {
			fs := newFlags(e, "version", "\n\nPrints relaylab's version, the commit it was built from and the Go version.")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return usageError("unexpected argument %q", fs.Arg(0))
			}
			fmt.Fprintln(e.stdout, versionLine())
			return nil
		},
	})
}

// versionLine names the module version (a tag when installed with go
// install ...@VERSION, "(devel)" in a checkout), the commit the binary was
// built from when the build recorded it, and the Go version.
func versionLine() string {
	version, commit := moduleVersion(), ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			commit = " commit " + rev
			if modified == "true" {
				commit += " (with uncommitted changes)"
			}
		} else {
			// go run, go test and -buildvcs=false record no commit: say
			// so, for a bug report that would otherwise name none.
			commit = " commit not recorded (go run and -buildvcs=false leave it out; go build in a git checkout records it)"
		}
	}
	return fmt.Sprintf("relaylab %s%s, %s %s/%s", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// moduleVersion is the module version the binary was built as: a tag
// when installed with go install ...@VERSION, "(devel)" in a checkout,
// "(unknown)" when the binary records none. relaylab_build_info says it.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(unknown)"
}
