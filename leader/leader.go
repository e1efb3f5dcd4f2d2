// Package leader makes sure that one costbot daemon at a time works on a database:
// polls Telegram (which serves one poller per bot) and runs the scheduled jobs.
//
// The daemon asks an Elector for the Lease before it starts that work and keeps it until
// it stops. FileElector is a lock file next to the SQLite database: one daemon per file.
// PostgresElector is a lease row in a PostgreSQL database shared by several replicas:
// they all serve the dashboard, and the one holding the lease (Campaign waits for it)
// polls and runs the jobs.
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

// Holds says whether l is still held now, by this process's clock: a lease that cannot
// expire is held until released; one that can (PostgresElector's) is checked without
// waiting for its renewals, so work about to act (a stop, a push) can check it first.
func Holds(l Lease) bool {
	if h, ok := l.(interface{ Held() bool }); ok {
		return h.Held()
	}
	select {
	case <-l.Lost():
		return false
	default:
		return true
	}
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
