package models

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event kinds raised by the Lightsail guard and the daily report; the bot renders each.
const (
	EventLightsailWarn       = "lightsail.warn"
	EventLightsailStop       = "lightsail.stop"
	EventLightsailStopFailed = "lightsail.stop_failed"
	EventLightsailStart      = "lightsail.start"
	EventLightsailBlind      = "lightsail.blind"
	EventLightsailRegionDown = "lightsail.region_down"
	EventLightsailRegionUp   = "lightsail.region_up"
	EventReportDaily         = "report.daily"
)

// GB is the gigabyte of Lightsail allowances: 10^9 bytes, the conservative reading.
const GB = 1e9

// Estimate statuses: when an instance will reach the stop threshold at its recent rate.
const (
	EstimateUnknown    = "unknown"     // not enough stored history yet
	EstimateIdle       = "idle"        // no traffic growth in the window
	EstimateAt         = "at"          // At is when
	EstimateAfterCycle = "after_cycle" // not before the cycle ends (the allowance resets first)
	EstimateReached    = "reached"     // at or past the threshold already
)

// StopEstimate is when the stop threshold will be reached at the rate of a window of
// stored checks (the last 24 hours).
type StopEstimate struct {
	Status           string
	At               time.Time // for EstimateAt
	RateBytesPerHour float64
}

// LightsailTraffic is one instance's traffic against its allowance at one check.
type LightsailTraffic struct {
	AccountID string // "" for the credentials' own account when AWS_ACCOUNTS is empty
	Region    string
	Instance  string
	Cycle     string // YYYY-MM (UTC)
	State     string
	CheckedAt time.Time
	CreatedAt time.Time // the instance's creation

	UsedBytes          float64 // NetworkIn + NetworkOut this cycle, carried bytes included
	CarriedBytes       float64 // of earlier instances of the same name and region this cycle
	AllowanceBytes     float64 // prorated when the instance was created this cycle
	FullAllowanceBytes float64
	Percent            float64 // UsedBytes / AllowanceBytes × 100
	Estimate           StopEstimate
	Error              string // the latest check could not read the traffic (figures are older)
	TZ                 string // REPORT_TZ, the zone times are shown in

	Bundle      string
	OutBytes    float64        // the NetworkOut part of UsedBytes (only data out is billed)
	CarriedFrom []CarriedUsage // the deleted instances CarriedBytes came from
	// Blind: a running instance whose metrics gave no datapoints for 30 minutes, or whose
	// reads failed; UsedBytes is then the last good reading, taken at LastGoodAt.
	Blind      bool
	LastGoodAt time.Time
	SelfHost   bool // costbot runs on this instance
}

// CarriedUsage is a deleted instance whose month's usage counts against another's
// allowance (AWS's rule: the next instance of the same bundle in the region).
type CarriedUsage struct {
	Instance  string
	Bundle    string
	Bytes     float64
	DeletedBy time.Time // it was gone at this check
}

// LightsailOverageBytes is the data transfer AWS bills beyond an allowance: data in and
// out both count toward it, only data out is billed.
func LightsailOverageBytes(used, out, allowance float64) float64 {
	return max(0, min(out, used-allowance))
}

// OverageBytes is the billable data transfer beyond the allowance this cycle so far.
func (t LightsailTraffic) OverageBytes() float64 {
	return LightsailOverageBytes(t.UsedBytes, t.OutBytes, t.AllowanceBytes)
}

// Prorated reports whether the allowance is a share of the bundle's (created this cycle).
func (t LightsailTraffic) Prorated() bool { return t.AllowanceBytes < t.FullAllowanceBytes }

// Traffic is the stored check as the renderers see it.
func (u LightsailUsage) Traffic() LightsailTraffic {
	t := LightsailTraffic{
		AccountID: u.AccountID, Region: u.Region, Instance: u.Instance, Cycle: u.Cycle, State: u.State, CheckedAt: u.CheckedAt.UTC(),
		CreatedAt: u.InstanceCreatedAt.UTC(), UsedBytes: u.UsedBytes, CarriedBytes: u.CarriedBytes,
		AllowanceBytes: u.AllowanceBytes, FullAllowanceBytes: u.FullAllowanceBytes, Percent: u.Percent,
		Estimate: StopEstimate{Status: u.EstimateStatus, RateBytesPerHour: u.RateBytesPerHour},
		Error:    u.Error, Bundle: u.Bundle, OutBytes: u.OwnOutBytes + u.CarriedOutBytes, Blind: u.Blind, SelfHost: u.SelfHost,
	}
	if u.CarriedFrom != "" {
		_ = json.Unmarshal([]byte(u.CarriedFrom), &t.CarriedFrom) // written by the guard; unreadable means none
	}
	if u.LastGoodAt != nil {
		t.LastGoodAt = u.LastGoodAt.UTC()
	}
	if t.Estimate.Status == "" {
		t.Estimate.Status = EstimateUnknown
	}
	if u.EstimateAt != nil {
		t.Estimate.At = u.EstimateAt.UTC()
	}
	return t
}

// LightsailWarn: an instance crossed a warning level (LIGHTSAIL_WARN_PERCENTS).
type LightsailWarn struct {
	Traffic     LightsailTraffic
	Level       float64
	StopPercent float64
}

// Stop reasons.
const (
	StopReasonThreshold = "threshold" // usage reached LIGHTSAIL_STOP_PERCENT
	StopReasonBurst     = "burst"     // the last hour's rate reaches it before the next check
)

// BurstProjection is why the burst gate stopped an instance early.
type BurstProjection struct {
	RateBytesPerHour float64
	NextCheck        time.Time
	ProjectedPercent float64 // at the next check
}

// LightsailStop: the guard stopped an instance, or would have (DryRun).
type LightsailStop struct {
	Traffic     LightsailTraffic
	StopPercent float64
	Reason      string // StopReasonThreshold or StopReasonBurst
	Burst       *BurstProjection
	DryRun      bool // LIGHTSAIL_DRY_RUN: alerted, not stopped
	Accepted    bool // StopInstance was accepted
	// Restarted: the guard had stopped it this cycle and someone started it again.
	Restarted bool
	// Recovered: the stop was sent before a restart of costbot and found done.
	Recovered bool
	// What the stop means: StaticIPChecked says whether the static IPs could be read;
	// StaticIP (name and address) is the one attached, which keeps the address.
	StaticIPChecked bool
	StaticIPName    string
	StaticIP        string
	// SelfHost: costbot runs on this instance and stops with it.
	SelfHost bool
}

// LightsailBlind: the guard cannot see an instance's traffic (one push per blind spell).
type LightsailBlind struct {
	Traffic LightsailTraffic
	Since   time.Time // the first check that found it blind
	Reason  string    // "no_data" or "read_failed"
	Error   string
}

// Blind reasons.
const (
	BlindNoData     = "no_data"
	BlindReadFailed = "read_failed"
)

// LightsailRegionDown: checks of a whole region failed several times running.
type LightsailRegionDown struct {
	Region   string
	Failures int
	Since    time.Time // the first failed check of the run
	Error    string
	TZ       string
}

// LightsailRegionUp: a region that was down was checked again.
type LightsailRegionUp struct {
	Region    string
	DownSince time.Time
	At        time.Time
	TZ        string
}

// LightsailStopFailed: the guard's stop (or reading the state before it) failed; it is
// tried again at the next check.
type LightsailStopFailed struct {
	Traffic     LightsailTraffic
	StopPercent float64
	Reason      string
	Error       string
	Attempt     int // consecutive failed attempts this cycle
	Retry       time.Time
}

// LightsailStart: at a new cycle the guard started an instance it had stopped in the
// previous one (LIGHTSAIL_AUTO_START).
type LightsailStart struct {
	Traffic       LightsailTraffic
	PreviousCycle string
	StoppedAt     time.Time // the guard's stop in the previous cycle
	Accepted      bool
	Error         string
}

// DailyReport is the daily push: cost today and this month, the forecast, and every
// watched instance's traffic.
type DailyReport struct {
	Date        string // YYYY-MM-DD in TZ: the report's day
	TZ          string
	GeneratedAt time.Time
	HasCost     bool
	TodayUSD    float64 // since midnight in TZ
	Month       string  // YYYY-MM (UTC), the billing month
	MonthUSD    float64
	ForecastUSD float64
	LatestHour  time.Time // the newest hour with cost data
	Unpriced    int       // active resources without a price: not in the figures
	StopPercent float64
	Instances   []LightsailTraffic
	// Billed is AWS's bill for the month's billed days beside the estimate (nil when
	// Cost Explorer is off); ForecastUSD then counts those days in AWS's figures.
	Billed *BillComparison `json:",omitempty"`
	// Scope is the accounts the report covers: nil for every account, else it goes to the
	// chats limited (TELEGRAM_CHAT_ACCOUNTS) to exactly those accounts.
	Scope AccountScope `json:",omitempty"`
}

// DecodeLightsailEvent rebuilds a stored guard event from its kind, key and JSON data.
func DecodeLightsailEvent(kind, key, data string) (Event, error) {
	var v any
	switch kind {
	case EventLightsailWarn:
		v = new(LightsailWarn)
	case EventLightsailStop:
		v = new(LightsailStop)
	case EventLightsailStopFailed:
		v = new(LightsailStopFailed)
	case EventLightsailStart:
		v = new(LightsailStart)
	case EventLightsailBlind:
		v = new(LightsailBlind)
	case EventLightsailRegionDown:
		v = new(LightsailRegionDown)
	case EventLightsailRegionUp:
		v = new(LightsailRegionUp)
	case EventReportDaily:
		v = new(DailyReport)
	default:
		return Event{}, fmt.Errorf("lightsail event: unknown kind %q", kind)
	}
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return Event{}, fmt.Errorf("lightsail event %s %s: %w", kind, key, err)
	}
	return Event{Kind: kind, Key: key, Data: deref(v)}, nil
}

func deref(v any) any {
	switch d := v.(type) {
	case *LightsailWarn:
		return *d
	case *LightsailStop:
		return *d
	case *LightsailStopFailed:
		return *d
	case *LightsailStart:
		return *d
	case *LightsailBlind:
		return *d
	case *LightsailRegionDown:
		return *d
	case *LightsailRegionUp:
		return *d
	case *DailyReport:
		return *d
	}
	return v
}
