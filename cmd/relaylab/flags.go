package main

import "time"

// flagAtLeast refuses the value v of the numeric flag name when it is
// below least: exit 2, naming the flag, the value and what it wants,
// rather than a negative or zero value silently read as something else.
func flagAtLeast[T int | int64 | time.Duration](name string, v, least T, want string) error {
	if v >= least {
		return nil
	}
	return usageError("--%s %v: want %s", name, v, want)
}
