// Package bench holds costbot's end-to-end benchmarks (issue 8). Nothing here runs
// without -bench; BENCHMARKS.md gives the one command for each figure.
package bench
