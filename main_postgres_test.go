package main

import (
	"bytes"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"costbot/config"
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

// TestLogHidesTheDatabasePassword logs DB_URL and an error that quotes its password:
// neither reaches the log.
func TestLogHidesTheDatabasePassword(t *testing.T) {
	const dbURL = "postgres://costbot:Sup3r-s3cret@db.internal:5432/costbot"
	var buf bytes.Buffer
	log := newLogger(&buf, &config.Config{TelegramToken: "123:tok", DBURL: dbURL})
	log.Error("store failed", "url", dbURL, "err", errors.New(`password "Sup3r-s3cret" rejected`))
	if out := buf.String(); strings.Contains(out, "Sup3r-s3cret") || !strings.Contains(out, "store failed") {
		t.Errorf("log line = %q: want it without the password", out)
	}
}
