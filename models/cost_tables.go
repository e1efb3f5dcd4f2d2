package models

import "time"

// SourceUnpriced is the PriceSource of a cost record whose resource no price could be
// found for: its CostUSD is 0 and it must be shown as unpriced, never as $0.
const SourceUnpriced = "unpriced"

// CostHour is one collected hour of the whole account (table cost_hours): which hours
// the bill covers, the hourly totals the burn-rate alert compares, and the last hour
// collected. Kept for good, like cost_summary: one row an hour.
type CostHour struct {
	ID            uint      `gorm:"primaryKey"`
	Hour          time.Time `gorm:"uniqueIndex;not null"`
	Month         string    `gorm:"index;not null"` // YYYY-MM (UTC)
	TotalUSD      float64
	ResourceCount int
	Unpriced      int
	// Filled is true for an hour costbot missed (it was down) and filled from the last
	// known hour.
	Filled bool
	// Estimated is true when any figure of the hour is estimated: a filled hour, or a
	// failed (service, region) task carried forward from its last known hour.
	Estimated    bool
	CarriedTasks int // (service, region) tasks carried forward
	CollectedAt  time.Time
}

func (CostHour) TableName() string { return "cost_hours" }

// CostDaily is one resource's cost for one UTC day, a row of the cost_daily view:
// hourly rows older than COST_HOURLY_RETENTION are rolled up into cost_days and
// deleted. Name, Type and AccountID are as of the day's last hour.
type CostDaily struct {
	Day            time.Time // midnight UTC
	Service        string
	Region         string
	ResourceID     string
	AccountID      string
	Name           string
	Type           string
	CostUSD        float64
	Hours          int
	EstimatedHours int
}

func (CostDaily) TableName() string { return "cost_daily" }

// MonthToDateState is the pricer's account-wide month-to-date usage around one collected
// hour (table month_to_date), as JSON: Before prices the hour (again, identically, when
// it is collected twice); After is where the next hour starts.
type MonthToDateState struct {
	ID     uint      `gorm:"primaryKey"`
	Hour   time.Time `gorm:"uniqueIndex;not null"`
	Before string
	After  string
}

func (MonthToDateState) TableName() string { return "month_to_date" }

// CostEvent is an alert or notice the cost jobs raised (table cost_events). It is
// written in the same transaction as the hour that caused it and marked raised once the
// notifier took it, so each is pushed exactly once, and retried after a failure.
type CostEvent struct {
	ID        uint   `gorm:"primaryKey"`
	Kind      string `gorm:"uniqueIndex:idx_cost_event,priority:1;not null"`
	Key       string `gorm:"uniqueIndex:idx_cost_event,priority:2;not null"`
	Data      string // JSON of the kind's data type (NewResourceAlert, BillClosed, ...)
	QueuedAt  time.Time
	RaisedAt  *time.Time `gorm:"index"`
	Attempts  int
	LastError string
	Dropped   bool // given up after too many failed attempts
}

func (CostEvent) TableName() string { return "cost_events" }

// AlertState is a small piece of alert memory (table alert_state): whether the budget
// forecast of a month is above the budget and how often it crossed it
// ("budget:2026-05"); whether the burn rate is in a jump already alerted, and at what
// hourly total ("burn"); or that a (service, region) was scanned once, so its resources
// are a baseline rather than new ("baseline:ec2/us-east-1").
type AlertState struct {
	Name      string `gorm:"primaryKey"`
	Active    bool
	Count     int
	Value     float64
	ChangedAt time.Time
}

func (AlertState) TableName() string { return "alert_state" }
