package models

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openTestStore opens a real SQLite file in a temporary folder, or, when the suite runs
// on PostgreSQL (TestModelsOnPostgreSQL), a fresh PostgreSQL database.
func openTestStore(t testing.TB) *Store {
	t.Helper()
	if onPostgres() {
		return openPostgresTestStore(t)
	}
	s, err := Open(filepath.Join(t.TempDir(), "nested", "cost.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenCreatesPrivateFileWithWAL(t *testing.T) {
	skipOnPostgres(t, "file mode and SQLite pragmas")
	s := openTestStore(t)
	fi, err := os.Stat(s.path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("db mode = %o, want 600", mode)
	}
	var journal string
	s.DB().Raw("PRAGMA journal_mode").Scan(&journal)
	if journal != "wal" {
		t.Errorf("journal_mode = %q, want wal", journal)
	}
	var fk, busy int
	s.DB().Raw("PRAGMA foreign_keys").Scan(&fk)
	s.DB().Raw("PRAGMA busy_timeout").Scan(&busy)
	if fk != 1 || busy < 1000 {
		t.Errorf("foreign_keys=%d busy_timeout=%d", fk, busy)
	}
}

// TestOpenMigratesEveryTable checks, on either database, that opening a store creates
// every table and view and leaves a store that answers and takes writes.
func TestOpenMigratesEveryTable(t *testing.T) {
	s := openTestStore(t)
	for _, table := range []string{"resources", "cost_hourly", "cost_keys", "cost_labels", "cost_days", "cost_summary",
		"lambda_records", "monthly_summary", "price_cache", "lightsail_usage", "lightsail_actions", "outbox", "chats", "job_runs"} {
		if !s.DB().Migrator().HasTable(table) {
			t.Errorf("table %s missing", table)
		}
	}
	for _, view := range []string{"cost_records", "cost_daily"} {
		var n int
		if s.DB().Raw(`SELECT COUNT(*) FROM `+view).Scan(&n).Error != nil || !isView(t, s, view) {
			t.Errorf("view %s missing", view)
		}
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := s.CheckWritable(context.Background()); err != nil {
		t.Errorf("CheckWritable: %v", err)
	}
	if s.SizeBytes() <= 0 {
		t.Errorf("SizeBytes = %d", s.SizeBytes())
	}
}

// isView reports whether name is a view in the store's database.
func isView(t *testing.T, s *Store, name string) bool {
	t.Helper()
	q := "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'view' AND name = ?"
	if s.Postgres() {
		q = "SELECT COUNT(*) FROM information_schema.views WHERE table_schema = current_schema() AND table_name = ?"
	}
	var n int
	if err := s.DB().Raw(q, name).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestReopenKeepsData(t *testing.T) {
	skipOnPostgres(t, "reopens a SQLite file; TestPostgresReopenKeepsData reopens a database")
	path := filepath.Join(t.TempDir(), "cost.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.SetChatLang(ctx, 42, "en"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	lang, err := s2.ChatLang(ctx, 42)
	if err != nil || lang != "en" {
		t.Fatalf("ChatLang after reopen = %q, %v", lang, err)
	}
}

func TestChatLang(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	if lang, err := s.ChatLang(ctx, 7); err != nil || lang != "" {
		t.Fatalf("unknown chat = %q, %v", lang, err)
	}
	for _, want := range []string{"en", "zh", "en"} {
		if err := s.SetChatLang(ctx, 7, want); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ChatLang(ctx, 7); got != want {
			t.Errorf("ChatLang = %q, want %q", got, want)
		}
	}
	var n int64
	s.DB().Model(&Chat{}).Count(&n)
	if n != 1 {
		t.Errorf("chats rows = %d, want 1 (upsert)", n)
	}
}

func TestJobRuns(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i, job := range []string{"collect", "guard", "collect"} {
		run, err := s.StartJobRun(ctx, job, t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		var runErr error
		if i == 2 {
			runErr = errors.New("ec2 us-east-1: boom")
		}
		if err := s.FinishJobRun(ctx, run, t0.Add(time.Duration(i)*time.Minute+5*time.Second), "resources=3", runErr); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.LastJobRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Job != "collect" || runs[1].Job != "guard" {
		t.Fatalf("last runs = %+v", runs)
	}
	if runs[0].Outcome != "failed" || runs[0].Error != "ec2 us-east-1: boom" || runs[0].FinishedAt.Sub(runs[0].StartedAt) != 5*time.Second {
		t.Errorf("collect last run = %+v", runs[0])
	}
	failed, err := s.LastFailedJobRun(ctx, "collect")
	if err != nil || failed == nil || failed.ID != runs[0].ID {
		t.Errorf("LastFailedJobRun = %+v, %v", failed, err)
	}
	if none, _ := s.LastFailedJobRun(ctx, "guard"); none != nil {
		t.Errorf("guard never failed, got %+v", none)
	}
}

func TestPriceCache(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)
	if _, _, ok, err := s.CachedPrice(ctx, "ec2|t3.micro"); ok || err != nil {
		t.Fatalf("empty cache hit: %v %v", ok, err)
	}
	if err := s.PutPrice(ctx, "ec2|t3.micro", `{"usd":"0.0104"}`, at); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPrice(ctx, "ec2|t3.micro", `{"usd":"0.0105"}`, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	v, fetched, ok, err := s.CachedPrice(ctx, "ec2|t3.micro")
	if err != nil || !ok || v != `{"usd":"0.0105"}` || !fetched.Equal(at.Add(time.Hour)) {
		t.Fatalf("CachedPrice = %q %v %v %v", v, fetched, ok, err)
	}
	n, err := s.ClearPrices(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ClearPrices = %d, %v", n, err)
	}
	if _, _, ok, _ := s.CachedPrice(ctx, "ec2|t3.micro"); ok {
		t.Error("cache not cleared")
	}
}

func TestPartialJobRun(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	run, err := s.StartJobRun(ctx, "collect", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishJobRun(ctx, run, time.Now(), "errors=1", &PartialError{Msg: "1 scan task(s) failed; ec2 eu-west-1: access denied"}); err != nil {
		t.Fatal(err)
	}
	runs, _ := s.LastJobRuns(ctx)
	if len(runs) != 1 || runs[0].Outcome != "partial" || runs[0].Error != "1 scan task(s) failed; ec2 eu-west-1: access denied" {
		t.Errorf("runs = %+v, want one partial run with the failed task", runs)
	}
}

// A DB_PATH with "#", "?" or "%" in it opens that very file (a "file:" URI would end
// the path at "#" or "?" and open another).
func TestOpenPathWithURICharacters(t *testing.T) {
	skipOnPostgres(t, "a SQLite file path")
	dir := t.TempDir()
	path := filepath.Join(dir, "costs#1?mode=ro%20.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetChatLang(context.Background(), 42, "en"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	for _, n := range names {
		if !strings.HasPrefix(n, filepath.Base(path)) {
			t.Errorf("another file was created: %q (all: %v)", n, names)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("the database file is empty or missing: %v", err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if lang, err := s.ChatLang(context.Background(), 42); err != nil || lang != "en" {
		t.Errorf("language after reopening = %q, %v", lang, err)
	}
}
