package pricing

import (
	"maps"
	"time"

	"costbot/config"
)

// MonthToDate is the account-wide usage of flow meters (requests, GB-seconds, bytes
// ingested or transferred) from the start of the month up to the hour being priced.
// Tiers and free allowances apply to that cumulative usage, so an hour costs
// cost(usage to the end of the hour) - cost(usage to its start). It is plain JSON so the
// collect job can persist it between runs.
//
// Keys are meters: "free:<allowance>" counts all usage that draws on an allowance, and
// "tier:<meter>:<scope>" counts the billable usage that has climbed a tiered price.
type MonthToDate struct {
	Month string             `json:"month"` // 2006-01, UTC
	Usage map[string]float64 `json:"usage"`
}

// NewMonthToDate is an empty month-to-date for the month containing t (UTC).
func NewMonthToDate(t time.Time) *MonthToDate {
	return &MonthToDate{Month: t.UTC().Format("2006-01"), Usage: map[string]float64{}}
}

// For returns the state to price the hour starting at hour with: a copy of m, or an
// empty month when m is nil or belongs to another month (the month rolled over).
func (m *MonthToDate) For(hour time.Time) *MonthToDate {
	if m == nil || m.Month != hour.UTC().Format("2006-01") {
		return NewMonthToDate(hour)
	}
	return m.clone()
}

// Get is the cumulative usage of a meter, 0 when unknown or m is nil.
func (m *MonthToDate) Get(meter string) float64 {
	if m == nil {
		return 0
	}
	return m.Usage[meter]
}

func (m *MonthToDate) clone() *MonthToDate {
	c := &MonthToDate{Month: m.Month, Usage: maps.Clone(m.Usage)}
	if c.Usage == nil {
		c.Usage = map[string]float64{}
	}
	return c
}

func (m *MonthToDate) add(meter string, v float64) {
	if v != 0 {
		m.Usage[meter] += v
	}
}

// Allowance names (the "free:" meters). Allowances are account-wide: one Lambda free
// tier covers every function in every region, on both architectures.
const (
	freeLambdaRequests  = "free:lambda-requests"
	freeLambdaGBSeconds = "free:lambda-gb-seconds"
	freeCloudFrontGB    = "free:cloudfront-out-gb"
	freeCloudFrontReqs  = "free:cloudfront-requests"
	freeCWMetrics       = "free:cloudwatch-metrics"
	freeCWAlarms        = "free:cloudwatch-alarms"
	freeCWLogsIngestGB  = "free:cloudwatch-logs-ingested-gb"
	freeS3StandardGB    = "free:s3-standard-gb"
)

// Allowances are the free units per month of each allowance.
type Allowances map[string]float64

// AllowancesFor returns the allowances of a FREE_TIER mode: always (always-free offers),
// legacy (also the 12-month S3 5 GB of accounts opened before 2025-07-15) or none.
//
// Always free, per AWS's free tier page: Lambda 1M requests and 400,000 GB-s; CloudFront
// 1 TB out (1,024 GB, the unit of its price tiers) and 10M requests; CloudWatch 10 custom
// metrics, 10 standard-resolution alarm metrics (high-resolution alarms are never free)
// and 5 GB of log ingestion.
func AllowancesFor(mode string) Allowances {
	if mode == config.FreeTierNone {
		return Allowances{}
	}
	a := Allowances{
		freeLambdaRequests:  1_000_000,
		freeLambdaGBSeconds: 400_000,
		freeCloudFrontGB:    1024,
		freeCloudFrontReqs:  10_000_000,
		freeCWMetrics:       10,
		freeCWAlarms:        10,
		freeCWLogsIngestGB:  5,
	}
	if mode == config.FreeTierLegacy {
		a[freeS3StandardGB] = 5
	}
	return a
}
