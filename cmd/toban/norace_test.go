//go:build !race

package main

// raceEnabled says the tests run under the race detector, which slows
// toban several times: timing bounds meant for a normal build are relaxed.
const raceEnabled = false
