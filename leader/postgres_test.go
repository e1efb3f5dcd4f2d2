package leader

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"costbot/internal/storetest"
)

func newTestElector(t *testing.T, dbURL string, ttl time.Duration) *PostgresElector {
	t.Helper()
	e, err := NewPostgresElector(context.Background(), dbURL, "costbot", ttl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// Six replicas campaign at once, each leading for a moment and releasing: every one of
// them leads in turn, never two at a time, and Current names whoever leads.
func TestPostgresOneHolderAmongCampaigners(t *testing.T) {
	db := storetest.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const replicas = 6
	var leading, most atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, replicas)
	for range replicas {
		e := newTestElector(t, db, 5*time.Second)
		wg.Go(func() {
			lease, err := Campaign(ctx, e, 10*time.Millisecond, nil)
			if err != nil {
				errs <- err
				return
			}
			n := leading.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			h, ok, err := e.Current(ctx)
			if err != nil || !ok || h.PID != os.Getpid() {
				errs <- errors.Join(err, errors.New("Current does not name the holder"))
			}
			time.Sleep(30 * time.Millisecond) // lead for a while, as a daemon does
			leading.Add(-1)
			errs <- lease.Release()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if most.Load() != 1 {
		t.Errorf("%d replicas led at once, want 1", most.Load())
	}
}

// A held lease is refused to others with the holder's host and PID, is kept across
// several lease periods by renewal, and after Release the next TryAcquire takes it at
// once, long before it would have expired.
func TestPostgresReleaseHandsOverAtOnce(t *testing.T) {
	db := storetest.PostgresURL(t)
	ctx := context.Background()
	const ttl = time.Second
	a, b := newTestElector(t, db, ttl), newTestElector(t, db, 10*time.Second)
	first, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	deadline := time.Now().Add(5 * ttl / 2)
	for time.Now().Before(deadline) {
		_, err := b.TryAcquire(ctx)
		var held *HeldError
		if !errors.As(err, &held) || held.Holder.PID != os.Getpid() || held.Holder.Host != host {
			t.Fatalf("TryAcquire while held = %v, want *HeldError naming PID %d on %s", err, os.Getpid(), host)
		}
		select {
		case <-first.Lost():
			t.Fatal("the lease was lost though renewals succeed")
		case <-time.After(ttl / 4):
		}
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	second, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("TryAcquire right after Release: %v", err)
	}
	defer second.Release()
	if _, ok, err := a.Current(ctx); err != nil || !ok {
		t.Errorf("Current after the handover: held %v, %v", ok, err)
	}
}

// A holder whose renewals fail sees Lost before its lease could expire by its own
// clock, and a campaigning replica takes the lease only after that and within the lease
// plus a poll: the two never lead together. Renewals fail in two ways: the database
// blocks them (a table lock held by someone else, as a stalled database would) and the
// holder's connections are gone (its pool closed).
func TestPostgresLostBeforeTakeover(t *testing.T) {
	cases := []struct {
		name  string
		fault func(t *testing.T, db string, holder *PostgresElector) (heal func())
	}{
		{"renewals blocked", func(t *testing.T, db string, _ *PostgresElector) func() {
			conn, err := pgx.Connect(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := conn.Begin(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(context.Background(), `LOCK TABLE costbot_leader IN EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			return func() { tx.Rollback(context.Background()); conn.Close(context.Background()) }
		}},
		{"connections gone", func(_ *testing.T, _ string, holder *PostgresElector) func() {
			holder.Close()
			return func() {}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := storetest.PostgresURL(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			const ttl = 3 * time.Second
			a := newTestElector(t, db, ttl)
			var renewErrs atomic.Int32
			a.OnRenewError = func(error) { renewErrs.Add(1) }
			lease, err := a.TryAcquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !Holds(lease) {
				t.Fatal("Holds is false for a lease just taken")
			}
			// The fault starts right after a renewal at the latest: the lease then ends
			// by the holder's clock at most ttl from now.
			faultAt := time.Now()
			heal := tc.fault(t, db, a)

			b := newTestElector(t, db, ttl)
			took := make(chan time.Time, 1)
			go func() {
				l, err := Campaign(ctx, b, 20*time.Millisecond, nil)
				if err == nil {
					took <- time.Now()
					l.Release()
				}
			}()
			var lostAt time.Time
			select {
			case <-lease.Lost():
				lostAt = time.Now()
			case <-ctx.Done():
				t.Fatal("Lost never fired though renewals fail")
			}
			if lostAt.Sub(faultAt) >= ttl {
				t.Errorf("Lost fired %v after renewals began to fail, want before the lease of %v could expire", lostAt.Sub(faultAt), ttl)
			}
			if Holds(lease) {
				t.Error("Holds is still true after Lost")
			}
			if renewErrs.Load() == 0 {
				t.Error("no failed renewal was reported")
			}
			heal()
			select {
			case at := <-took:
				if !at.After(lostAt) {
					t.Errorf("the follower took over at %v, before the holder saw Lost at %v", at, lostAt)
				}
				if at.Sub(faultAt) > ttl+time.Second {
					t.Errorf("takeover %v after the fault, want within the lease %v and a poll", at.Sub(faultAt), ttl)
				}
			case <-ctx.Done():
				t.Fatal("no follower took over the expired lease")
			}
			lease.Release() // lost already: deletes nothing, must not block
		})
	}
}

// One connection of the holder killed by the server (a restart, an idle timeout) costs
// one renewal, not the lease: the pool reconnects and the next renewal succeeds.
func TestPostgresSurvivesATerminatedConnection(t *testing.T) {
	db := storetest.PostgresURL(t)
	ctx := context.Background()
	const ttl = 1500 * time.Millisecond
	a := newTestElector(t, db, ttl)
	a.Retry = 50 * time.Millisecond
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	admin, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'costbot leader' AND datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lease.Lost():
		t.Fatal("one terminated connection lost the lease")
	case <-time.After(2 * ttl):
	}
	if _, err := newTestElector(t, db, ttl).TryAcquire(ctx); !errors.As(err, new(*HeldError)) {
		t.Errorf("TryAcquire by another = %v, want *HeldError: the holder renewed", err)
	}
}
