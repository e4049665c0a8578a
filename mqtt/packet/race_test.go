//go:build race

package packet

// raceEnabled is true under the race detector, whose instrumentation makes
// allocation counts meaningless.
const raceEnabled = true
