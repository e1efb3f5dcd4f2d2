// Package storetest gives tests a store of their own on a real PostgreSQL server: a
// fresh database on the server COSTBOT_TEST_POSTGRES names, dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvServer names the PostgreSQL server the tests may create databases on, as a URL of
// a role allowed to CREATE DATABASE.
const EnvServer = "COSTBOT_TEST_POSTGRES"

// HowToRun is the command line that runs the PostgreSQL tests of a package.
const HowToRun = EnvServer + "=postgres://costbot:costbot@127.0.0.1:5432/costbot go test ./models"

// ServerURL is the server's URL from EnvServer. Without it the test is skipped with the
// way to run it, or fails under CI=true, where the PostgreSQL tests must run.
func ServerURL(t testing.TB) string {
	t.Helper()
	server := os.Getenv(EnvServer)
	if server != "" {
		return server
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: CI runs the PostgreSQL tests (.ci/postgres sets it)", EnvServer)
	}
	t.Skipf("%s is not set; to run the PostgreSQL tests: %s", EnvServer, HowToRun)
	return ""
}

// PostgresURL creates an empty database on the test server and returns its URL; the
// database is dropped when the test ends. Its collation is C, so text sorts by bytes as
// it does in SQLite.
func PostgresURL(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", EnvServer, err)
	}
	name := "costbot_test_" + randomHex(t)
	admin := connect(t, server)
	defer admin.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		admin := connect(t, server)
		defer admin.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func connect(t testing.TB, server string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("%s: connect: %v", EnvServer, err)
	}
	return conn
}

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
