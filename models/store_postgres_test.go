package models

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

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
