package main

import (
	"os"
	"os/user"
	"strconv"
)

// whoAmI names the user this process runs as, for a message about
// permissions: "nobody", or "uid 1001" without a name.
func whoAmI() string {
	return userName(strconv.Itoa(os.Geteuid()))
}

// userName is the name of the user of id uid, or "uid N" without one.
func userName(uid string) string {
	if u, err := user.LookupId(uid); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + uid
}
