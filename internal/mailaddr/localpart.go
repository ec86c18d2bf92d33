package mailaddr

import (
	"fmt"
	"strings"
)

// DotStringFault explains why local, a local part as the client wrote it
// without quotes, is not an RFC 5321 4.1.2 Dot-string, or returns "" when
// it is one (IsDotString): atoms of atext joined by single dots, so no
// leading or trailing dot, no two dots in a row, and none of the specials
// ("@", ",", ...) that only a Quoted-string may hold. The answer reads
// after the local part ("x..y" has two dots in a row, "a@" has '@'); the
// caller says that quotes would allow it. It allocates only for its
// answer, so a server can run it on every path.
func DotStringFault(local string) string {
	if IsDotString(local) {
		return ""
	}
	switch {
	case local == "":
		return "is empty"
	case local[0] == '.':
		return "starts with a dot"
	case local[len(local)-1] == '.':
		return "ends with a dot"
	case strings.Contains(local, ".."):
		return "has two dots in a row"
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c < 0x80 && c != '.' && !isAtext(c) {
			return fmt.Sprintf("has %q", rune(c))
		}
	}
	return "is not a Dot-string" // not reached: IsDotString has no other fault
}

// isAtext reports whether the ASCII octet c is RFC 5322 3.2.3 atext.
func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
