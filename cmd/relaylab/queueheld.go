package main

// recordedHoldsNote is queue retry's note, without --config, on holds read
// from what the store recorded; windows says that some recipient's was a
// route's sending window.
func recordedHoldsNote(windows bool) string {
	if !windows {
		return "note: without --config, the holds are read from what the store recorded (a destination's rest by the path each recipient last used); a sending window or warm-up cap the running relay's file has, or a rest of another path of the route, may still hold recipients said to be due: give --config with the running relay's file to check them against its routes\n"
	}
	return "note: without --config, the holds are read from what the store recorded: a destination's rest by the path each recipient last used, and a route's sending window by the recipient's last deferral, which names when the window opens. A retry cannot open a sending window: such a recipient stays due when it opens (queue show says so), unless the running relay's file no longer has that window, in which case a relaylab relay or serve started with that file sends it at once; a warm-up cap the running relay's file has, or a rest of another path of the route, may still hold recipients said to be due: give --config with the running relay's file to check them against its routes\n"
}
