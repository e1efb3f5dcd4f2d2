// Package leader makes sure that one costbot daemon at a time works on a database:
// polls Telegram (which serves one poller per bot) and runs the scheduled jobs.
//
// The daemon asks an Elector for the Lease before it starts anything and keeps it until
// it stops. FileElector is a lock file next to the SQLite database; a shared database
// such as PostgreSQL can offer the same through a lease row or an advisory lock.
package leader

import (
	"context"
	"fmt"
	"time"
)

// Elector hands out the one Lease of a database.
type Elector interface {
	// TryAcquire takes the lease now, or returns a *HeldError naming the daemon that
	// holds it.
	TryAcquire(ctx context.Context) (Lease, error)
}

// Lease is held by the one daemon that may work on a database.
type Lease interface {
	// Lost is closed if the lease ends while held (one that expires unrenewed); nil
	// when it cannot be lost.
	Lost() <-chan struct{}
	// Release gives the lease up.
	Release() error
}

// Holder identifies a daemon holding a lease.
type Holder struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

// HeldError is the lease held by another daemon.
type HeldError struct {
	Holder Holder // zero when the holder did not say who it is
	Where  string // what the lease guards, e.g. the database file
}

func (e *HeldError) Error() string {
	who := "another costbot"
	if e.Holder.PID != 0 {
		who = fmt.Sprintf("another costbot (PID %d on host %s, since %s)", e.Holder.PID, e.Holder.Host, e.Holder.Since.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s already runs on the database %s; stop it first, or give this one its own DB_PATH", who, e.Where)
}
