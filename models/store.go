// Package models holds costbot's domain types and its Store: every query lives here.
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
	"gorm.io/gorm/clause"
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

// Path is the database file; "" on PostgreSQL.
func (s *Store) Path() string { return s.path }

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

// ChatLang returns the chat's chosen language, or "" when it never chose one.
func (s *Directory) ChatLang(ctx context.Context, chatID int64) (string, error) {
	c, err := s.chatRow(ctx, chatID, "language")
	return c.Lang, err
}

// SetChatLang stores the chat's language.
func (s *Directory) SetChatLang(ctx context.Context, chatID int64, lang string) error {
	return s.setChat(ctx, Chat{ChatID: chatID, Lang: lang}, "lang", "language")
}

// StartJobRun records that a job started and returns the run to finish later.
func (s *Directory) StartJobRun(ctx context.Context, job string, at time.Time) (*JobRun, error) {
	run := &JobRun{Job: job, StartedAt: at.UTC(), Outcome: "running"}
	if err := s.db.WithContext(ctx).Create(run).Error; err != nil {
		return nil, fmt.Errorf("store: start job run %s: %w", job, err)
	}
	return run, nil
}

// PartialError is a job run that did part of its work: a scan in which some (service,
// region) tasks failed. The run is recorded as "partial" with the message, so /status
// shows what failed although the rest was done.
type PartialError struct{ Msg string }

func (e *PartialError) Error() string { return e.Msg }

// FinishJobRun records a job run's end, outcome (ok, partial or failed) and counts.
func (s *Directory) FinishJobRun(ctx context.Context, run *JobRun, at time.Time, counts string, runErr error) error {
	end := at.UTC()
	run.FinishedAt = &end
	run.Counts = counts
	run.Outcome = "ok"
	run.Error = ""
	var partial *PartialError
	switch {
	case errors.As(runErr, &partial):
		run.Outcome = "partial"
		run.Error = partial.Msg
	case runErr != nil:
		run.Outcome = "failed"
		run.Error = runErr.Error()
	}
	if err := s.db.WithContext(ctx).Save(run).Error; err != nil {
		return fmt.Errorf("store: finish job run %s: %w", run.Job, err)
	}
	return nil
}

// LastJobRuns returns the latest run of every job that has run, by job name.
func (s *Directory) LastJobRuns(ctx context.Context) ([]JobRun, error) {
	var runs []JobRun
	err := s.db.WithContext(ctx).Raw(`SELECT * FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job) ORDER BY job`).Scan(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("store: last job runs: %w", err)
	}
	return runs, nil
}

// LastFailedJobRun returns the job's latest failed run, or nil.
func (s *Directory) LastFailedJobRun(ctx context.Context, job string) (*JobRun, error) {
	var run JobRun
	err := s.db.WithContext(ctx).Where("job = ? AND outcome = ?", job, "failed").Order("id DESC").Take(&run).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: last failed run of %s: %w", job, err)
	}
	return &run, nil
}

// CachedPrice returns a cached price document and when it was fetched.
func (s *CostHistory) CachedPrice(ctx context.Context, key string) (value string, fetchedAt time.Time, ok bool, err error) {
	var e PriceCacheEntry
	err = s.db.WithContext(ctx).Where("key = ?", key).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("store: cached price %s: %w", key, err)
	}
	return e.Value, e.FetchedAt, true, nil
}

// PutPrice stores a price fetched from the Pricing API.
func (s *CostHistory) PutPrice(ctx context.Context, key, value string, fetchedAt time.Time) error {
	e := PriceCacheEntry{Key: key, Value: value, FetchedAt: fetchedAt.UTC()}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "fetched_at"}),
	}).Create(&e).Error
	if err != nil {
		return fmt.Errorf("store: put price %s: %w", key, err)
	}
	return nil
}

// ClearPrices empties the price cache and says how many entries it removed.
func (s *CostHistory) ClearPrices(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("1 = 1").Delete(&PriceCacheEntry{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: clear price cache: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// uriPath escapes what would end a file path inside a "file:" URI: a DB_PATH with a "#"
// or a "?" in it would otherwise open (and create, with the default mode) another file.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "#", "%23", "?", "%3F").Replace(path)
}
