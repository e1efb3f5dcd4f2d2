package leader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// FileElector is a lock file next to a SQLite database (the database's path plus
// ".lock"): an exclusive lock the kernel drops when the process ends, however it ends,
// so a crash leaves nothing stale. The file holds the holder's PID, host and start, for
// the message the next daemon prints.
type FileElector struct {
	path  string
	where string
	now   func() time.Time
}

// NewFileElector guards the database at dbPath.
func NewFileElector(dbPath string) *FileElector {
	return &FileElector{path: dbPath + ".lock", where: dbPath, now: time.Now}
}

// Path is the lock file.
func (e *FileElector) Path() string { return e.path }

// TryAcquire locks the file, or says who holds it.
func (e *FileElector) TryAcquire(context.Context) (Lease, error) {
	f, err := os.OpenFile(e.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", e.path, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", e.path, err)
	}
	if held {
		var h Holder
		raw, _ := os.ReadFile(e.path)
		json.Unmarshal(raw, &h) // a holder still writing its name is named "another costbot"
		f.Close()
		return nil, &HeldError{Holder: h, Where: e.where}
	}
	host, _ := os.Hostname()
	me, _ := json.Marshal(Holder{PID: os.Getpid(), Host: host, Since: e.now().UTC().Truncate(time.Second)})
	if err := errors.Join(f.Truncate(0), writeAt0(f, me), f.Sync()); err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", e.path, err)
	}
	return &fileLease{f: f}, nil
}

func writeAt0(f *os.File, b []byte) error {
	_, err := f.WriteAt(b, 0)
	return err
}

type fileLease struct{ f *os.File }

func (l *fileLease) Lost() <-chan struct{} { return nil }

// Release empties the file and unlocks it. The file stays: removing it could let two
// daemons lock two different files of the same name.
func (l *fileLease) Release() error {
	return errors.Join(l.f.Truncate(0), unlock(l.f), l.f.Close())
}
