package models

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A database restored with mode 0644, its -wal and -shm too, is made 0600 again when
// opened.
func TestOpenMakesRestoredFilesPrivate(t *testing.T) {
	skipOnPostgres(t, "file modes")
	path := filepath.Join(t.TempDir(), "restored.db")
	first, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := first.CheckWritable(context.Background()); err != nil { // a write: the -wal and -shm exist now
		t.Fatal(err)
	}
	files := []string{path, path + "-wal", path + "-shm"}
	for _, f := range files {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %04o after Open, want 0600", filepath.Base(f), mode)
		}
	}
}
