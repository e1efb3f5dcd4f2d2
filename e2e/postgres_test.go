package e2e

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"costbot/internal/awstest"
	"costbot/internal/storetest"
	"costbot/internal/tgtest"
)

// TestDoctorOnPostgreSQL runs `costbot doctor` with DB_URL: it says it checked
// PostgreSQL, never prints the password, and names DB_URL when the password is wrong.
func TestDoctorOnPostgreSQL(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	u, _ := url.Parse(dbURL)
	pass, _ := u.User.Password()
	srv := tgtest.New(t)
	moto := awstest.StartMoto(t)
	dir := t.TempDir()
	base := []string{
		"TELEGRAM_API_URL=" + srv.URL(), "TELEGRAM_BOT_TOKEN=" + srv.Token(), "TELEGRAM_CHAT_IDS=4242",
		"DB_PATH=" + filepath.Join(dir, "cost.db"),
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + moto.URL,
	}
	base = append(base, unservedByMoto(t)...)
	wrong := *u
	wrong.User = url.UserPassword(u.User.Username(), "not-"+pass)
	tests := []struct {
		name, dbURL, want, secret string
	}{
		{"the right password", dbURL, "✓ database: PostgreSQL " + (&url.URL{Scheme: u.Scheme, User: url.UserPassword(u.User.Username(), "xxxxx"), Host: u.Host, Path: u.Path}).String() + " writable", ":" + pass + "@"},
		{"a wrong password", wrong.String(), "✗ database", "not-" + pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, _ := runBinary(t, dir, cleanEnv(append(base, "DB_URL="+tt.dbURL)...), "doctor")
			if !strings.Contains(out, tt.want) {
				t.Errorf("doctor output lacks %q:\n%s", tt.want, out)
			}
			if strings.Contains(out+stderr, tt.secret) {
				t.Errorf("doctor printed the password:\n%s%s", out, stderr)
			}
		})
	}
}

// TestDaemonKeepsItsStateInPostgreSQL runs `costbot run` with DB_URL: a chat's choice
// lands in PostgreSQL, and nothing is written at DB_PATH, not even the lock file, which
// guards SQLite alone.
func TestDaemonKeepsItsStateInPostgreSQL(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	tg := tgtest.New(t)
	dbPath := filepath.Join(t.TempDir(), "data", "cost.db")
	d := startDaemon(t, daemonEnv(tg, dbPath, "HTTP_ADDR=", "DB_URL="+dbURL))
	tg.WaitCall(t, "getUpdates", nil, 30*time.Second)
	tg.SendMessage(4242, 4242, "/lang en")
	tg.WaitCall(t, "sendMessage", func(c tgtest.Call) bool { return c.Params["chat_id"] == "4242" }, 30*time.Second)
	d.stop(syscall.SIGTERM)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var lang string
	if err := conn.QueryRow(ctx, `SELECT lang FROM chats WHERE chat_id = 4242`).Scan(&lang); err != nil || lang != "en" {
		t.Errorf("chat 4242 in PostgreSQL: lang %q, %v; want en\n%s", lang, err, d.logs.String())
	}
	for _, p := range []string{dbPath, dbPath + ".lock"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists (%v): with DB_URL nothing is written at DB_PATH", p, err)
		}
	}
	if logs := d.logs.String(); strings.Contains(logs, dbURL) {
		t.Errorf("the log holds DB_URL:\n%s", logs)
	}
}
