package models

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// OpenDatabase opens the store the settings name: PostgreSQL when dbURL (DB_URL) is
// set, so several hosts share one store, else the SQLite file at dbPath (DB_PATH).
func OpenDatabase(dbURL, dbPath string) (*Store, error) {
	if dbURL != "" {
		return OpenPostgres(dbURL)
	}
	return Open(dbPath)
}

// postgresPool bounds the connections one process keeps to PostgreSQL: the jobs, the
// bot and the dashboard's requests each hold one for a query at a time.
const postgresPool = 8

// migrationLock is the advisory lock under which a process migrates a PostgreSQL
// store, so replicas starting at once do not create the same table twice.
const migrationLock = 0x636f7374626f74 // "costbot"

// OpenPostgres connects to the PostgreSQL database at dbURL, in UTC, and migrates every
// table, one process at a time.
func OpenPostgres(dbURL string) (*Store, error) {
	where := RedactURL(dbURL)
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("store: DB_URL %s: %w", where, redactErr(err, dbURL))
	}
	// Hours are compared and cast to text in UTC, as SQLite stores them, and read back
	// as UTC times.
	cfg.RuntimeParams["timezone"] = "UTC"
	sqlDB := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, conn *pgx.Conn) error {
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}))
	sqlDB.SetMaxOpenConns(postgresPool)
	sqlDB.SetMaxIdleConns(postgresPool)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		Logger:  logger.Discard,
		NowFunc: func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: open %s: %w", where, redactErr(err, dbURL))
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, migrationLock).Error; err != nil {
			return err
		}
		if err := dropRetiredIndexes(tx); err != nil {
			return err
		}
		if err := tx.AutoMigrate(allTables()...); err != nil {
			return err
		}
		return execAll(tx, postgresCostSchema)
	})
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: migrate %s: %w", where, redactErr(err, dbURL))
	}
	return newStore(db, "", dbURL), nil
}

// RedactURL is a database URL with its password replaced, fit for a log line, /status
// or `costbot doctor`.
func RedactURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(a DB_URL that is not a URL)"
	}
	return u.Redacted()
}

// redactErr keeps the URL's password out of an error a driver wrote with the URL in it.
func redactErr(err error, dbURL string) error {
	u, perr := url.Parse(dbURL)
	if perr != nil || u.User == nil {
		return err
	}
	pass, ok := u.User.Password()
	if !ok || pass == "" {
		return err
	}
	return redactedError{err: err, secret: pass}
}

type redactedError struct {
	err    error
	secret string
}

func (e redactedError) Error() string { return strings.ReplaceAll(e.err.Error(), e.secret, "xxxxx") }
func (e redactedError) Unwrap() error { return e.err }

// costWritersLock is the advisory lock the transactions that rewrite the cost history
// or the bills hold on PostgreSQL.
const costWritersLock = migrationLock + 1

// oneCostWriter makes a transaction that rewrites the cost history or the bills (an
// hour deleted and written again, a day rolled up, billed days replaced) wait on
// PostgreSQL for any other doing so, as SQLite's one writer does. Only the leader runs
// these jobs, but a deposed leader may still be finishing one when the next begins:
// one after the other, the later write of an hour or a bill replaces the earlier whole,
// instead of failing on its rows or adding to them. SQLite needs nothing.
func oneCostWriter(tx *gorm.DB) error {
	if !isPostgres(tx) {
		return nil
	}
	return tx.Exec(`SELECT pg_advisory_xact_lock(?)`, costWritersLock).Error
}

// isPostgres reports whether db talks to PostgreSQL.
func isPostgres(db *gorm.DB) bool { return db.Dialector.Name() == "postgres" }

// forDB is q, or its PostgreSQL text when db is PostgreSQL and q has one.
func forDB(db *gorm.DB, q string) string {
	if isPostgres(db) {
		if pq, ok := postgresSQL[q]; ok {
			return pq
		}
	}
	return q
}

// postgresSizeBytes is the size of the database on the server.
func postgresSizeBytes(db *gorm.DB) int64 {
	var n int64
	if err := db.Raw(`SELECT pg_database_size(current_database())`).Scan(&n).Error; err != nil {
		return 0
	}
	return n
}
