package relay

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// KeyFileExposed says what is wrong with the permissions of a DKIM
// private key file that every user of the machine may read or change,
// and the chmod that mends them; "" when they are in order, when the file
// cannot be examined (reading it reports that), and on Windows, whose
// file modes are not Unix permissions. Whoever reads the key signs mail
// that passes DKIM as its domain; whoever changes it stops the relay's
// signatures from verifying. OpenDKIM warns of such a file too; the
// relay warns and goes on, since a file made under the default umask
// (0644) is common where it is harmless, on a CI machine of one user.
func KeyFileExposed(file string) string {
	if runtime.GOOS == "windows" {
		return ""
	}
	st, err := os.Stat(file)
	if err != nil {
		return ""
	}
	mode := st.Mode().Perm()
	var what string
	switch {
	case mode&0o006 == 0o006:
		what = "read and replaced by every user of this machine: whoever reads it can sign mail that passes DKIM as its domain, and whoever replaces it makes the relay's signatures fail"
	case mode&0o004 != 0:
		what = "read by every user of this machine: whoever reads it can sign mail that passes DKIM as its domain"
	case mode&0o002 != 0:
		what = "replaced by every user of this machine: whoever replaces it makes the relay's signatures fail"
	default:
		return ""
	}
	return fmt.Sprintf("the DKIM private key file %s (mode %04o) can be %s; run chmod 600 %s (or chmod 640 and give the file the group the relay runs as)",
		file, mode, what, shellWord(file))
}

// shellWord is s as one word of a POSIX shell command line: as it is when
// it holds only characters no shell treats specially, else in single
// quotes; one that starts with "-" gets "./" before it.
func shellWord(s string) string {
	if strings.HasPrefix(s, "-") {
		s = "./" + s // not an option to chmod
	}
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:@%,=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
