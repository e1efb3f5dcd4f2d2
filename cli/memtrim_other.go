//go:build !linux

package cli

import "runtime/debug"

// trimMemory returns the Go heap's free pages to the system; only Linux also unmaps the
// executable's pages a job touched (see memtrim_linux.go).
func trimMemory() (kB int64, err error) {
	debug.FreeOSMemory()
	return 0, nil
}
