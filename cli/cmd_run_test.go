package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"costbot/config"
)

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
