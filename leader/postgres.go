package leader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresElector is a lease row in a PostgreSQL database shared by several costbot
// replicas: the replica whose row has not expired leads. Expiry is judged by the
// database's clock (now()), so replicas on hosts whose clocks disagree still agree on
// who leads. The holder renews the row every third of the lease; a holder that cannot
// renew gives the lease up by its own clock before the database would let another take
// it (see pgLease), so two leaders never work at once.
type PostgresElector struct {
	pool  *pgxpool.Pool
	name  string
	ttl   time.Duration
	where string
	host  string
	pid   int

	// Retry is how soon a failed renewal is tried again; default ttl/15.
	Retry time.Duration
	// OnRenewError, when set, hears every renewal that failed (the lease may still hold).
	OnRenewError func(error)

	schemaOnce sync.Mutex
	schemaDone bool
}

// leaseTable is where the lease row lives; one row per lease name.
const leaseTable = "costbot_leader"

// schemaLock serialises the CREATE TABLE of replicas starting together: PostgreSQL's
// IF NOT EXISTS is not safe against a concurrent create of the same table.
const schemaLock = 0x6c6561646572 // "leader"

// NewPostgresElector opens its own small pool on dbURL, so that renewals never queue
// behind the store's queries. name tells leases on one database apart ("costbot");
// ttl is how long a lease lasts unrenewed (LEADER_LEASE).
func NewPostgresElector(ctx context.Context, dbURL, name string, ttl time.Duration) (*PostgresElector, error) {
	if ttl <= 0 {
		return nil, errors.New("leader: the lease must last longer than zero")
	}
	where := redactURL(dbURL)
	pc, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("leader: DB_URL %s: %w", where, err)
	}
	pc.MaxConns = 2 // one renewal and one read of the holder at most
	pc.ConnConfig.RuntimeParams["application_name"] = "costbot leader"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("leader: %s: %w", where, err)
	}
	host, _ := os.Hostname()
	return &PostgresElector{pool: pool, name: name, ttl: ttl, where: where, host: host, pid: os.Getpid(), Retry: ttl / 15}, nil
}

// redactURL is dbURL without its password, for messages.
func redactURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "the PostgreSQL database"
	}
	return u.Redacted()
}

// Close closes the elector's pool; Release the lease first.
func (e *PostgresElector) Close() { e.pool.Close() }

func (e *PostgresElector) ensureTable(ctx context.Context) error {
	e.schemaOnce.Lock()
	defer e.schemaOnce.Unlock()
	if e.schemaDone {
		return nil
	}
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+leaseTable+` (
			name       text PRIMARY KEY,
			holder     text NOT NULL,
			host       text NOT NULL,
			pid        integer NOT NULL,
			since      timestamptz NOT NULL,
			expires_at timestamptz NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("leader: create %s in %s: %w", leaseTable, e.where, err)
	}
	e.schemaDone = true
	return nil
}

// TryAcquire takes the lease when no one holds it or its holder let it expire, in one
// statement; otherwise it returns a *HeldError naming the holder.
func (e *PostgresElector) TryAcquire(ctx context.Context) (Lease, error) {
	if err := e.ensureTable(ctx); err != nil {
		return nil, err
	}
	id, err := newHolderID()
	if err != nil {
		return nil, err
	}
	// The lease runs from before the statement by this host's clock: the row's expiry,
	// set later by the database, can only be later than the local deadline.
	started := time.Now()
	var since time.Time
	err = e.pool.QueryRow(ctx, `
		INSERT INTO `+leaseTable+` AS l (name, holder, host, pid, since, expires_at)
		VALUES ($1, $2, $3, $4, now(), now() + $5 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE
			SET holder = EXCLUDED.holder, host = EXCLUDED.host, pid = EXCLUDED.pid,
			    since = EXCLUDED.since, expires_at = EXCLUDED.expires_at
			WHERE l.expires_at <= now()
		RETURNING since`,
		e.name, id, e.host, e.pid, e.ttl.Microseconds()).Scan(&since)
	if errors.Is(err, pgx.ErrNoRows) {
		h, ok, cerr := e.Current(ctx)
		if cerr != nil {
			return nil, cerr
		}
		if !ok { // released between the two statements: the next attempt takes it
			h = Holder{}
		}
		return nil, &HeldError{Holder: h, Where: e.where}
	}
	if err != nil {
		return nil, fmt.Errorf("leader: take the lease in %s: %w", e.where, err)
	}
	l := &pgLease{e: e, id: id, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	l.setDeadline(started.Add(e.ttl))
	go l.keep()
	return l, nil
}

// Current is the lease's holder, when the lease is held and not expired.
func (e *PostgresElector) Current(ctx context.Context) (Holder, bool, error) {
	if err := e.ensureTable(ctx); err != nil {
		return Holder{}, false, err
	}
	var h Holder
	err := e.pool.QueryRow(ctx, `SELECT host, pid, since FROM `+leaseTable+` WHERE name = $1 AND expires_at > now()`, e.name).
		Scan(&h.Host, &h.PID, &h.Since)
	if errors.Is(err, pgx.ErrNoRows) {
		return Holder{}, false, nil
	}
	if err != nil {
		return Holder{}, false, fmt.Errorf("leader: read the lease in %s: %w", e.where, err)
	}
	h.Since = h.Since.UTC()
	return h, true, nil
}

// errNotHeld is a renewal the database refused: the row is gone, expired or another's.
var errNotHeld = errors.New("the lease is no longer ours")

// renew extends the lease by ttl from the database's now, if it is still ours and
// unexpired.
func (e *PostgresElector) renew(ctx context.Context, id string) error {
	tag, err := e.pool.Exec(ctx, `UPDATE `+leaseTable+` SET expires_at = now() + $3 * interval '1 microsecond'
		WHERE name = $1 AND holder = $2 AND expires_at > now()`, e.name, id, e.ttl.Microseconds())
	if err != nil {
		return fmt.Errorf("leader: renew the lease in %s: %w", e.where, err)
	}
	if tag.RowsAffected() == 0 {
		return errNotHeld
	}
	return nil
}

func newHolderID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("leader: holder id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// pgLease is a held lease row, renewed in the background.
//
// Its local deadline is when the last successful renewal started plus the lease: the
// database can let another replica take over only after that. Lost is closed a safety
// margin (a fifth of the lease) before the deadline if no renewal succeeded by then,
// or at once when the database says the row is no longer ours, so the holder stops
// working while the lease is still its own.
type pgLease struct {
	e        *PostgresElector
	id       string
	deadline atomic.Pointer[time.Time] // set by keep; read by Held

	lost     chan struct{}
	lostOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	release  sync.Once
	err      error
}

func (l *pgLease) Lost() <-chan struct{} { return l.lost }

func (l *pgLease) setDeadline(t time.Time) { l.deadline.Store(&t) }

// giveUp is when the lease ends by the holder's clock unless renewed before.
func (l *pgLease) giveUp() time.Time { return l.deadline.Load().Add(-l.margin()) }

// Held says, by the holder's clock, whether the lease is still the holder's now. It
// does not wait for the renewing goroutine: after the process was stalled (paused,
// swapped out) for longer than the lease, Held is false before Lost is closed.
func (l *pgLease) Held() bool {
	select {
	case <-l.lost:
		return false
	default:
	}
	return time.Now().Before(l.giveUp())
}

func (l *pgLease) margin() time.Duration { return l.e.ttl / 5 }

// keep renews every third of the lease and retries failures sooner, until Release or
// until the lease is lost.
func (l *pgLease) keep() {
	defer close(l.done)
	next := time.Now().Add(l.e.ttl / 3)
	for {
		giveUp := l.giveUp()
		timer := time.NewTimer(time.Until(earliest(next, giveUp)))
		select {
		case <-l.stop:
			timer.Stop()
			return
		case <-timer.C:
		}
		if !time.Now().Before(giveUp) {
			l.markLost()
			return
		}
		started := time.Now()
		ctx, cancel := context.WithDeadline(context.Background(), giveUp)
		err := l.e.renew(ctx, l.id)
		cancel()
		switch {
		case err == nil:
			l.setDeadline(started.Add(l.e.ttl))
			next = started.Add(l.e.ttl / 3)
		case errors.Is(err, errNotHeld):
			l.markLost()
			return
		default:
			if l.e.OnRenewError != nil {
				l.e.OnRenewError(err)
			}
			next = time.Now().Add(max(l.e.Retry, time.Millisecond))
		}
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (l *pgLease) markLost() { l.lostOnce.Do(func() { close(l.lost) }) }

// Release stops renewing and deletes the row, so a waiting replica takes over at its
// next attempt instead of after the lease. A lease already lost deletes nothing: the
// row may be another's by now.
func (l *pgLease) Release() error {
	l.release.Do(func() {
		close(l.stop)
		<-l.done
		select {
		case <-l.lost:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := l.e.pool.Exec(ctx, `DELETE FROM `+leaseTable+` WHERE name = $1 AND holder = $2`, l.e.name, l.id); err != nil {
			l.err = fmt.Errorf("leader: release the lease in %s: %w", l.e.where, err)
		}
	})
	return l.err
}

// Campaign waits until e hands this process the lease, trying every interval; a try
// that fails (held by another, or the database unreachable) is told to waiting, when
// set. It returns ctx's error when ctx ends first.
func Campaign(ctx context.Context, e Elector, every time.Duration, waiting func(error)) (Lease, error) {
	for {
		lease, err := e.TryAcquire(ctx)
		if err == nil {
			return lease, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if waiting != nil {
			waiting(err)
		}
		timer := time.NewTimer(every)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}
