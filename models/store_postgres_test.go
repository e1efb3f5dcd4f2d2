package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"costbot/internal/storetest"
)

// envTestStore set to "postgres" makes openTestStore open PostgreSQL databases.
const envTestStore = "COSTBOT_TEST_STORE"

func onPostgres() bool { return os.Getenv(envTestStore) == "postgres" }

// openPostgresTestStore opens a fresh database on the test server, dropped at the end.
func openPostgresTestStore(t testing.TB) *Store {
	t.Helper()
	s, err := OpenPostgres(storetest.PostgresURL(t))
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// skipOnPostgres skips a test of something only a SQLite file has.
func skipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if onPostgres() {
		t.Skip("SQLite only: " + why)
	}
}

// TestModelsOnPostgreSQL runs this package's whole test suite again with every store on
// PostgreSQL: the same migrations and queries must serve both.
func TestModelsOnPostgreSQL(t *testing.T) {
	if onPostgres() {
		t.Skip("already on PostgreSQL")
	}
	storetest.ServerURL(t)
	args := []string{"-test.run=.", "-test.skip=^TestModelsOnPostgreSQL$", "-test.bench=none", "-test.count=1", "-test.v"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	if deadline, ok := t.Deadline(); ok {
		args = append(args, "-test.timeout="+time.Until(deadline).Round(time.Second).String())
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envTestStore+"=postgres")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	ran := regexp.MustCompile(`(?m)^--- PASS: `).FindAll(out.Bytes(), -1)
	if err != nil {
		t.Fatalf("the models suite on PostgreSQL failed (%v):\n%s", err, failures(out.String()))
	}
	if len(ran) == 0 {
		t.Fatalf("the models suite on PostgreSQL ran no test:\n%s", out.String())
	}
	t.Logf("%d tests passed on PostgreSQL", len(ran))
}

// failures keeps, of a verbose test run's output, the lines of the tests that failed
// and the run's last lines.
func failures(out string) string {
	var keep []string
	var inTest []string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "=== RUN"):
			inTest = nil
		case strings.HasPrefix(line, "--- FAIL"), strings.HasPrefix(line, "panic:"):
			keep = append(keep, inTest...)
			keep = append(keep, line)
			inTest = nil
		case strings.HasPrefix(line, "--- PASS"), strings.HasPrefix(line, "--- SKIP"):
			inTest = nil
		default:
			inTest = append(inTest, line)
		}
	}
	keep = append(keep, inTest...)
	return strings.Join(keep, "\n")
}

// requirePostgres skips a test of PostgreSQL alone outside TestModelsOnPostgreSQL's run.
func requirePostgres(t *testing.T) {
	t.Helper()
	if !onPostgres() {
		t.Skip("PostgreSQL only: runs in TestModelsOnPostgreSQL")
	}
}

func TestOpenDatabaseChoosesTheStoreByDBURL(t *testing.T) {
	requirePostgres(t)
	dbURL := storetest.PostgresURL(t)
	path := filepath.Join(t.TempDir(), "cost.db")
	tests := []struct {
		name     string
		dbURL    string
		postgres bool
		file     bool
	}{
		{"DB_PATH without DB_URL", "", false, true},
		{"DB_URL", dbURL, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(path)
			s, err := OpenDatabase(tt.dbURL, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Postgres() != tt.postgres {
				t.Errorf("Postgres() = %v, want %v (%s)", s.Postgres(), tt.postgres, s)
			}
			if _, err := os.Stat(path); (err == nil) != tt.file {
				t.Errorf("SQLite file exists = %v, want %v", err == nil, tt.file)
			}
			if err := s.SetChatLang(context.Background(), 1, "en"); err != nil {
				t.Fatal(err)
			}
			if s.SizeBytes() <= 0 {
				t.Errorf("SizeBytes = %d", s.SizeBytes())
			}
		})
	}
}

func TestPostgresStoreNamesItselfWithoutThePassword(t *testing.T) {
	requirePostgres(t)
	dbURL := storetest.PostgresURL(t)
	u, _ := url.Parse(dbURL)
	pass, ok := u.User.Password()
	if !ok || pass == "" {
		t.Skip("the test server's URL has no password to hide")
	}
	s, err := OpenPostgres(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	name := s.String()
	if strings.Contains(name, ":"+pass+"@") || !strings.HasPrefix(name, "PostgreSQL postgres://") || !strings.Contains(name, u.Host) {
		t.Errorf("String() = %q: want the URL with host %s and without the password", name, u.Host)
	}
	u.User = url.UserPassword(u.User.Username(), "wrong-"+pass)
	_, err = OpenPostgres(u.String())
	if err == nil || strings.Contains(err.Error(), "wrong-"+pass) {
		t.Errorf("OpenPostgres with a wrong password: %v; want an error without the password", err)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://costbot:s3cret@db.example:5432/costbot?sslmode=require", "postgres://costbot:xxxxx@db.example:5432/costbot?sslmode=require"},
		{"postgres://costbot@db.example/costbot", "postgres://costbot@db.example/costbot"},
		{"postgres://db.example/costbot", "postgres://db.example/costbot"},
		{"postgres://u:p%40ss@h/db", "postgres://u:xxxxx@h/db"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPostgresReplicasShareOneStore opens one database from three stores at once, as
// three replicas starting together do, and writes the same rows from all of them: the
// migrations run one at a time, every upsert leaves one row, and a login link is used
// once.
func TestPostgresReplicasShareOneStore(t *testing.T) {
	requirePostgres(t)
	dbURL := storetest.PostgresURL(t)
	ctx := context.Background()
	const replicas = 3
	stores := make([]*Store, replicas)
	var g errgroup.Group
	for i := range stores {
		g.Go(func() error {
			s, err := OpenPostgres(dbURL)
			stores[i] = s
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("open three replicas at once: %v", err)
	}
	for _, s := range stores {
		t.Cleanup(func() { s.Close() })
	}
	now := time.Now().UTC()
	if err := stores[0].AddWebLogin(ctx, &WebLogin{Nonce: "n1", UserID: 7, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var used atomic.Int32
	for round := range 20 {
		for i, s := range stores {
			g.Go(func() error {
				if err := s.SetChatLang(ctx, 42, []string{"en", "zh"}[(round+i)%2]); err != nil {
					return err
				}
				if err := s.PutPrice(ctx, "ec2|t3.micro", fmt.Sprintf(`{"usd":"0.01%d"}`, i), now); err != nil {
					return err
				}
				if _, err := s.Enqueue(ctx, 42, []string{"hello"}, "", "push-1"); err != nil {
					return err
				}
				if _, err := s.UseWebLogin(ctx, "n1", now); err == nil {
					used.Add(1)
				} else if !errors.Is(err, ErrLoginUnusable) {
					return err
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("concurrent writes from three replicas: %v", err)
	}
	for _, table := range []string{"chats", "price_cache", "outbox"} {
		var n int64
		if err := stores[1].DB().Table(table).Count(&n).Error; err != nil || n != 1 {
			t.Errorf("%s rows = %d, %v; want 1", table, n, err)
		}
	}
	if used.Load() != 1 {
		t.Errorf("login link used %d times, want once", used.Load())
	}
}

// TestPostgresHourWritesFromReplicas writes the same hour, and the same billed days,
// from two stores at once, as a deposed leader still finishing its run and the new one
// would: both succeed, one after the other, and the later write replaces the earlier
// whole rather than failing on its rows or adding to them.
func TestPostgresHourWritesFromReplicas(t *testing.T) {
	requirePostgres(t)
	dbURL := storetest.PostgresURL(t)
	ctx := context.Background()
	var stores []*Store
	for range 2 {
		s, err := OpenPostgres(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	h := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	recordsCosting := func(usd float64) []CostRecord {
		var records []CostRecord
		for i := range 50 {
			records = append(records, CostRecord{Service: "ec2", Region: "us-east-1", ResourceID: fmt.Sprintf("i-%d", i),
				AccountID: "111122223333", Name: fmt.Sprintf("web-%d", i), CostUSD: usd, PriceSource: SourceAPI})
		}
		return records
	}
	// The first round adds the resources' keys, the second rewrites an hour they have.
	for round := range 2 {
		var g errgroup.Group
		for i, s := range stores {
			g.Go(func() error {
				_, err := s.WriteHour(ctx, HourWrite{Hour: h, CollectedAt: h, Records: recordsCosting(float64(i + 1))})
				return err
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatalf("round %d: the same hour from two replicas: %v", round, err)
		}
		got, err := stores[0].CostRecordsAt(ctx, h)
		if err != nil || len(got) != 50 {
			t.Fatalf("round %d: CostRecordsAt = %d records, %v; want 50", round, len(got), err)
		}
		total, err := stores[0].CostTotal(ctx, h, h.Add(time.Hour), nil)
		if err != nil || (!near(total, 50) && !near(total, 100)) {
			t.Errorf("round %d: the hour costs %v, %v; want one replica's write whole ($50 or $100)", round, total, err)
		}
	}

	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	lines := []BilledCost{{Day: day, Service: "Amazon Elastic Compute Cloud - Compute", UsageType: "USE1-BoxUsage", Record: RecordUsage,
		UnblendedUSD: 3, NetUSD: 3}}
	for round := range 2 {
		var g errgroup.Group
		for _, s := range stores {
			g.Go(func() error {
				return s.ReplaceBilled(ctx, "2026-11", day, day.AddDate(0, 0, 1), slices.Clone(lines), false, day)
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatalf("round %d: the same billed day from two replicas: %v", round, err)
		}
		var sum float64
		if err := stores[1].DB().Model(&BilledCost{}).Select("SUM(net_usd)").Scan(&sum).Error; err != nil || !near(sum, 3) {
			t.Errorf("round %d: billed $%v, %v; want $3 (replaced, not added)", round, sum, err)
		}
	}
}

func TestFailuresKeepsTheFailedTestsLines(t *testing.T) {
	out := strings.Join([]string{
		"=== RUN   TestA", "    a_test.go:1: fine", "--- PASS: TestA (0.00s)",
		"=== RUN   TestB", "    b_test.go:9: got 1, want 2", "--- FAIL: TestB (0.01s)",
		"=== RUN   TestC", "--- SKIP: TestC (0.00s)",
		"FAIL", "exit status 1",
	}, "\n")
	want := strings.Join([]string{"    b_test.go:9: got 1, want 2", "--- FAIL: TestB (0.01s)", "FAIL", "exit status 1"}, "\n")
	if got := failures(out); got != want {
		t.Errorf("failures =\n%s\nwant\n%s", got, want)
	}
}
