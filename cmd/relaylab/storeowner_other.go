//go:build !linux && !darwin

package main

// fileOwner is unknown where the owner of a file is not a uid.
func fileOwner(string) string { return "" }
