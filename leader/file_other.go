//go:build !unix

package leader

import (
	"os"
	"path/filepath"
)

// tryLock, where flock is missing, creates a marker file beside f exclusively; it is
// removed on unlock (a crash leaves it, and the next start says who held it).
func tryLock(f *os.File) (held bool, err error) {
	m, err := os.OpenFile(marker(f), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if os.IsExist(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, m.Close()
}

func unlock(f *os.File) error { return os.Remove(marker(f)) }

func marker(f *os.File) string { return filepath.Clean(f.Name()) + ".held" }
