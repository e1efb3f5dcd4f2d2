package figures

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"costbot/config"
	"costbot/models"
)

// openStore opens an empty SQLite store in the test's temporary directory.
func openStore(t testing.TB) *models.Store {
	t.Helper()
	s, err := models.Open(filepath.Join(t.TempDir(), "cost.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testConfig is the configuration of env over the defaults, with reports in UTC and
// billing off unless env says otherwise.
func testConfig(t testing.TB, env map[string]string) *config.Config {
	t.Helper()
	all := map[string]string{"REPORT_TZ": "UTC", "COST_EXPLORER_INTERVAL": "off"}
	for k, v := range env {
		all[k] = v
	}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := all[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newReader is the read model over s with the settings of env (see testConfig).
func newReader(t testing.TB, s *models.Store, env map[string]string) *Reader {
	t.Helper()
	return New(s, testConfig(t, env))
}

func figUTC(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// writeHour stores one collected hour of records (and the resources seen in it).
func writeHour(t testing.TB, s *models.Store, hour time.Time, records []models.CostRecord, resources ...models.ResourceRow) {
	t.Helper()
	w := models.HourWrite{Hour: hour, CollectedAt: hour.Add(5 * time.Minute), Records: records, Resources: resources}
	if _, err := s.WriteHour(context.Background(), w); err != nil {
		t.Fatal(err)
	}
}

// record is a priced cost record of one resource in one hour.
func record(hour time.Time, service, region, id string, usd float64) models.CostRecord {
	return models.CostRecord{Hour: hour, Service: service, Region: region, ResourceID: id, Name: id + "-name", CostUSD: usd, PriceSource: models.SourceAPI}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func money4(v float64) string { return fmt.Sprintf("%.4f", v) }
