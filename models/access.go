package models

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// NotWritableError is a database file, or its folder, that the running user may not
// write: the first run of a container whose volume belongs to root, a folder mounted
// read-only.
type NotWritableError struct {
	Path string // the database file
	Dir  string // its folder
	UID  int    // the user costbot runs as
	Err  error
}

func (e *NotWritableError) Error() string {
	return fmt.Sprintf("DB_PATH %s: costbot runs as UID %d and cannot write in %s (%v); fix: chown -R %d %s (for a Docker bind mount, on the host folder), or set DB_PATH to a folder UID %d owns",
		e.Path, e.UID, e.Dir, e.Err, e.UID, e.Dir, e.UID)
}

func (e *NotWritableError) Unwrap() error { return e.Err }

// CheckWritable makes sure the database's folder exists and that the running user may
// create files in it (the database, its -wal and -shm, the lock) and write the
// database if it exists. A permission problem is a *NotWritableError.
func CheckWritable(path string) error {
	dir := filepath.Dir(path)
	notWritable := func(err error) error {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return &NotWritableError{Path: path, Dir: dir, UID: os.Getuid(), Err: err}
		}
		return fmt.Errorf("DB_PATH %s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return notWritable(err)
	}
	probe, err := os.CreateTemp(dir, ".costbot-write-check-*")
	if err != nil {
		return notWritable(err)
	}
	probe.Close()
	os.Remove(probe.Name())
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return notWritable(err)
	}
	return f.Close()
}

// keepPrivate sets mode 0600 on the database and its -wal and -shm files: a file
// restored from a backup with 0644 would stay readable to every user of the host. It
// is best effort: a file another user owns keeps its mode.
func keepPrivate(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			os.Chmod(p, 0o600)
		}
	}
}
