//go:build race

package codeowners

// raceEnabled lets the slowest comparisons do less work under -race, where
// every memory access costs several times more.
const raceEnabled = true
