package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store is costbot's database: a SQLite file (path), or PostgreSQL (url) when several
// hosts share it. It is made of one store per aggregate, each over the same database and
// each usable alone (&store.Billing): their methods are the Store's. What reads more
// than one aggregate (a month's bill with AWS's figures, the overview) is the Store's own.
type Store struct {
	CostHistory
	Billing
	Lightsail
	Outbox
	Directory

	db   *gorm.DB
	path string
	url  string
}

// newStore is the Store over db, every aggregate's store bound to it.
func newStore(db *gorm.DB, path, url string) *Store {
	return &Store{
		CostHistory: CostHistory{db: db},
		Billing:     Billing{db: db},
		Lightsail:   Lightsail{db: db},
		Outbox:      Outbox{db: db},
		Directory:   Directory{db: db},
		db:          db, path: path, url: url,
	}
}

// Open opens (creating if needed, with mode 0600) the SQLite file at path, turns on WAL,
// a busy timeout and foreign keys, and migrates every table.
func Open(path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create folder %s: %w", dir, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	f.Close()
	keepPrivate(path)
	dsn := "file:" + uriPath(path) + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:  logger.Discard,
		NowFunc: func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// One writer at a time is what SQLite allows; a single connection also keeps
	// every pragma in force.
	sqlDB.SetMaxOpenConns(1)
	if err := errors.Join(dropRetiredIndexes(db), db.AutoMigrate(allTables()...)); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	migrated, err := migrateCostSchema(db)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	if migrated {
		// The old layout's pages are free now; VACUUM gives them back to the disk once.
		// It needs room for a copy of the file: when it fails the database is whole and
		// the free pages are reused by the rows to come, so opening goes on.
		_ = db.Exec("VACUUM").Error
	}
	return newStore(db, path, ""), nil
}

// DB exposes the GORM handle to the store's own package tests and to benchmarks.
func (s *Store) DB() *gorm.DB { return s.db }

// Postgres reports whether the store is PostgreSQL rather than a SQLite file.
func (s *Store) Postgres() bool { return s.url != "" }

// String names the store for people: the SQLite file, or the PostgreSQL URL without its
// password.
func (s *Store) String() string {
	if s.Postgres() {
		return "PostgreSQL " + RedactURL(s.url)
	}
	return "SQLite " + s.path
}

// Close closes the database.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error
}

// CheckWritable writes and removes a row, for `costbot doctor`.
func (s *Store) CheckWritable(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		run := JobRun{Job: "doctor", StartedAt: time.Now().UTC(), Outcome: "ok"}
		if err := tx.Create(&run).Error; err != nil {
			return err
		}
		return tx.Delete(&run).Error
	})
}

// SizeBytes is the size of the database file with its WAL, or of the PostgreSQL
// database on its server.
func (s *Store) SizeBytes() int64 {
	if s.Postgres() {
		return postgresSizeBytes(s.db)
	}
	var total int64
	for _, p := range []string{s.path, s.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			total += fi.Size()
		}
	}
	return total
}

// PartialError is a job run that did part of its work: a scan in which some (service,
// region) tasks failed. The run is recorded as "partial" with the message, so /status
// shows what failed although the rest was done.
type PartialError struct{ Msg string }

func (e *PartialError) Error() string { return e.Msg }

// uriPath escapes what would end a file path inside a "file:" URI: a DB_PATH with a "#"
// or a "?" in it would otherwise open (and create, with the default mode) another file.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "#", "%23", "?", "%3F").Replace(path)
}

// InTx runs fn in one transaction, handing it a Store bound to that transaction. fn must
// use only that Store: a SQLite database has one connection, so the outer Store would
// wait for the transaction to end (and on PostgreSQL it would work outside it).
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(newStore(tx, s.path, s.url))
	})
}
