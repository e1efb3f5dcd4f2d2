package jobs

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"costbot/aws"
	"costbot/models"
	"costbot/pricing"
)

// monthSoFarFakeScanner also serves ScanMonthSoFar, with the month so far it was given
// on each resource, and counts which of the two it was asked.
type monthSoFarFakeScanner struct {
	*fakeScanner
	monthSoFar  map[string]map[string]float64 // resource ID -> hourly key -> month so far
	plain, full int
}

func (s *monthSoFarFakeScanner) Scan(ctx context.Context) (*aws.ScanResult, error) {
	s.plain++
	return s.fakeScanner.Scan(ctx)
}

func (s *monthSoFarFakeScanner) ScanMonthSoFar(ctx context.Context) (*aws.ScanResult, error) {
	s.full++
	res, err := s.fakeScanner.Scan(ctx)
	if err != nil {
		return nil, err
	}
	for i, r := range res.Resources {
		usage := map[string]float64{}
		for k, v := range r.Usage {
			usage[k] = v
		}
		for k, v := range s.monthSoFar[r.ID] {
			usage[models.MonthSoFarPrefix+k] = v
		}
		res.Resources[i].Usage = usage
	}
	return res, nil
}

func storedMeter(t *testing.T, s *models.Store, hour time.Time, meter string) (before, after float64) {
	t.Helper()
	b, a, ok, err := s.MonthToDateOf(context.Background(), hour)
	if err != nil || !ok {
		t.Fatalf("month to date of %s: ok %v err %v", hour, ok, err)
	}
	var mb, ma pricing.MonthToDate
	if err := json.Unmarshal([]byte(b), &mb); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(a), &ma); err != nil {
		t.Fatal(err)
	}
	return mb.Get(meter), ma.Get(meter)
}

// Started on the 20th, costbot reads the month so far once: Lambda's free million
// requests were used up before it started, so its first hour is billed; the next run
// reads only the hour; and hours filled after a downtime move the meters on too.
func TestMidMonthFirstStartAppliesTheFreeTierToTheMonthSoFar(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 12, 20, 10, 5, 0, 0, time.UTC), CollectorOptions{})
	scanner := &monthSoFarFakeScanner{fakeScanner: f.scanner,
		monthSoFar: map[string]map[string]float64{"fn-api": {"invocations_hour": 1_500_000, "duration_ms_hour": 0}}}
	f.collector = NewCollector(f.store, scanner, f.collector.pricer, f.notifier, f.opt)
	f.scan(function("fn-api", 100_000, 0))
	f.collect(t)

	first := time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC)
	if scanner.full != 1 || scanner.plain != 0 {
		t.Fatalf("first run: %d month-so-far scans and %d plain ones, want one month-so-far scan", scanner.full, scanner.plain)
	}
	// 1.5M requests before the hour: the free million is gone, all 100,000 are billed.
	approx(t, "first hour", hourRecords(t, f.store, first)["fn-api"].CostUSD, 100_000*lambdaReq)
	before, after := storedMeter(t, f.store, first, "free:lambda-requests")
	approx(t, "requests before the first hour", before, 1_500_000)
	approx(t, "requests after the first hour", after, 1_600_000)

	// The next hour reads only its own usage.
	f.advanceTo(time.Date(2026, 12, 20, 11, 5, 0, 0, time.UTC))
	f.collect(t)
	if scanner.full != 1 || scanner.plain != 1 {
		t.Errorf("second run: %d month-so-far scans and %d plain ones, want the month read once", scanner.full, scanner.plain)
	}
	_, after = storedMeter(t, f.store, time.Date(2026, 12, 20, 11, 0, 0, 0, time.UTC), "free:lambda-requests")
	approx(t, "requests after the second hour", after, 1_700_000)

	// Down from 12:00 to 14:59: three filled hours used 100,000 requests each, as the
	// hour they copy did.
	f.advanceTo(time.Date(2026, 12, 20, 15, 5, 0, 0, time.UTC))
	f.collect(t)
	before, _ = storedMeter(t, f.store, time.Date(2026, 12, 20, 15, 0, 0, 0, time.UTC), "free:lambda-requests")
	approx(t, "requests before 15:00", before, 1_700_000+3*100_000)
}

// Without the month so far (a plain scanner), a first start counts from its first hour.
func TestMonthSoFarNeedsAScannerThatReadsIt(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 12, 20, 10, 5, 0, 0, time.UTC), CollectorOptions{})
	f.scan(function("fn-api", 100_000, 0))
	f.collect(t)
	approx(t, "first hour within the free tier", hourRecords(t, f.store, time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC))["fn-api"].CostUSD, 0)
}
