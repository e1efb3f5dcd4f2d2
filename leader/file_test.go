package leader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The second TryAcquire on one database is refused with the first holder's PID and
// host; after Release the lease can be taken again.
func TestFileElectorOneHolderAtATime(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "cost.db")
	first, err := NewFileElector(db).TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewFileElector(db).TryAcquire(ctx)
	var held *HeldError
	if !errors.As(err, &held) {
		t.Fatalf("second TryAcquire = %v, want *HeldError", err)
	}
	host, _ := os.Hostname()
	msg := err.Error()
	if held.Holder.PID != os.Getpid() || held.Holder.Host != host || !strings.Contains(msg, "PID "+strconv.Itoa(os.Getpid())) ||
		!strings.Contains(msg, host) || !strings.Contains(msg, db) || strings.Contains(msg, "\n") {
		t.Errorf("HeldError %+v says %q; want one line with PID %d, host %s and %s", held.Holder, msg, os.Getpid(), host, db)
	}
	if first.Lost() != nil {
		t.Error("a file lock cannot be lost, yet Lost is not nil")
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := NewFileElector(db).TryAcquire(ctx)
	if err != nil {
		t.Fatalf("TryAcquire after Release: %v", err)
	}
	again.Release()
}
