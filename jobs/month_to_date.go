package jobs

import (
	"context"
	"encoding/json"
	"time"

	"costbot/aws"
	"costbot/models"
	"costbot/pricing"
)

// Month-to-date meters count from the first of the month, as AWS's do, whenever costbot
// started: with no totals of its own for the month, the collect job has the scan read
// the month so far from CloudWatch once; and the hours it fills after a downtime move
// the meters on as the hour they copy did.

// monthSoFarScanner is a Scanner that can also read the month so far: *aws.Scanner.
type monthSoFarScanner interface {
	ScanMonthSoFar(ctx context.Context) (*aws.ScanResult, error)
}

// monthSoFarSeeder raises a month-to-date state to the month so far the resources
// carry: *pricing.Pricer.
type monthSoFarSeeder interface {
	SeedMonthSoFar(rs []models.Resource, mtd *pricing.MonthToDate) *pricing.MonthToDate
}

// meterState is what the job knows of the meters before a run.
type meterState struct {
	fresh bool // no totals for the hour's month: read the month so far
	// last is the last collected hour and the meters before and after it, which filled
	// hours repeat.
	last          time.Time
	before, after *pricing.MonthToDate
}

// meterState reads whether the month's totals exist, and the last collected hour's.
func (c *Collector) meterState(ctx context.Context, hour time.Time) (meterState, error) {
	var m meterState
	state, ok, err := c.store.MonthToDate(ctx, hour)
	if err != nil {
		return m, err
	}
	current := decodeMonthToDate(state, ok)
	m.fresh = current == nil || current.Month != models.MonthOf(hour)
	last, ok, err := c.store.LastCollectedHour(ctx)
	if err != nil || !ok {
		return m, err
	}
	before, after, found, err := c.store.MonthToDateOf(ctx, last)
	if err != nil || !found {
		return m, err
	}
	m.last, m.before, m.after = last, decodeMonthToDate(before, true), decodeMonthToDate(after, true)
	return m, nil
}

// advance moves mtd on for the filled hours of hour's month: each used the meters as
// the last collected hour did.
func (m meterState) advance(mtd *pricing.MonthToDate, hour time.Time, filled int) *pricing.MonthToDate {
	if filled == 0 || m.before == nil || m.after == nil {
		return mtd
	}
	inMonth := 0
	start := models.MonthStartOf(hour)
	for h := m.last.Add(time.Hour); h.Before(hour); h = h.Add(time.Hour) {
		if !h.Before(start) {
			inMonth++
		}
	}
	return mtd.Advanced(m.before, m.after, min(inMonth, filled))
}

// scan scans the account, reading the month so far too when fresh.
func (c *Collector) scan(ctx context.Context, fresh bool) (*aws.ScanResult, error) {
	if s, ok := c.scanner.(monthSoFarScanner); ok && fresh {
		return s.ScanMonthSoFar(ctx)
	}
	return c.scanner.Scan(ctx)
}

func decodeMonthToDate(state string, ok bool) *pricing.MonthToDate {
	if !ok || state == "" {
		return nil
	}
	m := new(pricing.MonthToDate)
	if json.Unmarshal([]byte(state), m) != nil {
		return nil
	}
	return m
}
