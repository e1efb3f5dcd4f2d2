package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ResourceRow is the latest known state of a resource (table resources).
type ResourceRow struct {
	ID          uint   `gorm:"primaryKey"`
	Key         string `gorm:"uniqueIndex;not null"`
	AccountID   string `gorm:"index"`
	Service     string `gorm:"index;index:idx_resources_tally,priority:2"`
	Region      string
	ResourceID  string `gorm:"index:idx_resources_cost,priority:3;index:idx_resources_waste,priority:4"`
	Name        string
	Kind        string
	Type        string
	State       string
	Waste       bool `gorm:"index:idx_resources_waste,priority:2"`
	WasteReason string
	Attrs       string  // JSON object
	Usage       string  // JSON object
	HourlyUSD   float64 `gorm:"index:idx_resources_cost,priority:2;index:idx_resources_waste,priority:3"`
	MonthlyUSD  float64
	PriceSource string `gorm:"index:idx_resources_tally,priority:4"`
	Priced      bool   `gorm:"index:idx_resources_tally,priority:3"`
	// PriceNote says why a resource is unpriced, and what its price leaves out.
	PriceNote string
	// PriceWarning is what the owner should act on: an upper bound, an Extended Support
	// charge to upgrade away from.
	PriceWarning string
	FirstSeen    time.Time
	LastSeen     time.Time `gorm:"index"`
	// Active is true while the resource was in the latest scan of its service and region.
	// idx_resources_tally answers the per-service and price-source counts from the index
	// alone; idx_resources_cost and idx_resources_waste list the costliest active (wasted)
	// resources without a sort.
	Active bool `gorm:"index;index:idx_resources_tally,priority:1;index:idx_resources_cost,priority:1;index:idx_resources_waste,priority:1"`
}

func (ResourceRow) TableName() string { return "resources" }

// CostRecord is one resource's cost for one hour: what a collection writes, and a row of
// the cost_records view. It is stored in cost_hourly, with the resource and its
// description as IDs of cost_keys and cost_labels (see cost_schema.go).
type CostRecord struct {
	Hour        time.Time
	Service     string
	Region      string
	ResourceID  string
	AccountID   string
	Name        string
	Type        string
	CostUSD     float64
	PriceSource string
	Estimated   bool
}

func (CostRecord) TableName() string { return "cost_records" }

// CostSummary is the cost of one service in one region for one hour (table
// cost_summary, keyed on hour, service and region; see cost_schema.go).
type CostSummary struct {
	Hour          time.Time
	AccountID     string
	Service       string
	Region        string
	CostUSD       float64
	ResourceCount int
	Estimated     bool
}

func (CostSummary) TableName() string { return "cost_summary" }

// LambdaRecord is one function's usage and cost for one hour (table lambda_records).
type LambdaRecord struct {
	ID           uint      `gorm:"primaryKey"`
	Hour         time.Time `gorm:"uniqueIndex:idx_lambda_account_hour,priority:1;not null"`
	AccountID    string    `gorm:"uniqueIndex:idx_lambda_account_hour,priority:2;not null;default:''"`
	Region       string    `gorm:"uniqueIndex:idx_lambda_account_hour,priority:3;not null"`
	FunctionName string    `gorm:"uniqueIndex:idx_lambda_account_hour,priority:4;not null"`
	Invocations  float64
	DurationMS   float64
	GBSeconds    float64
	CostUSD      float64
}

func (LambdaRecord) TableName() string { return "lambda_records" }

// MonthlySummary is one service's bill for one month (table monthly_summary). A closed
// month is final.
type MonthlySummary struct {
	ID             uint   `gorm:"primaryKey"`
	Month          string `gorm:"uniqueIndex:idx_month_service,priority:1;not null"` // YYYY-MM
	Service        string `gorm:"uniqueIndex:idx_month_service,priority:2;not null"`
	CostUSD        float64
	Hours          int
	EstimatedHours int
	Closed         bool
	ClosedAt       *time.Time
	UpdatedAt      time.Time
}

func (MonthlySummary) TableName() string { return "monthly_summary" }

// PriceCacheEntry is one price looked up from the Pricing API (table price_cache).
type PriceCacheEntry struct {
	Key       string `gorm:"primaryKey"`
	Value     string // JSON, as pricing/ encodes it
	FetchedAt time.Time
}

func (PriceCacheEntry) TableName() string { return "price_cache" }

// LightsailUsage is one guard check of one instance (table lightsail_usage).
type LightsailUsage struct {
	ID             uint      `gorm:"primaryKey"`
	CheckedAt      time.Time `gorm:"index"`
	Region         string    `gorm:"index:idx_ls_usage_inst,priority:1"`
	Instance       string    `gorm:"index:idx_ls_usage_inst,priority:2"`
	Cycle          string    // YYYY-MM (UTC)
	State          string
	UsedBytes      float64
	AllowanceBytes float64
	Percent        float64

	// InstanceID tells apart instances that had the same name in one cycle: the ARN, or
	// the creation time when the API gave no ARN. Empty on a region's check marker (a row
	// with no Instance, written after every successful listing of the region).
	InstanceID         string `gorm:"index"`
	InstanceCreatedAt  time.Time
	OwnBytes           float64 // NetworkIn + NetworkOut of this instance since the cycle began
	CarriedBytes       float64 // usage of deleted instances of the same bundle carried to this one
	FullAllowanceBytes float64 // the bundle's allowance before proration
	// Error is why this check could not read the instance's traffic; the figures are
	// then the last good ones, and the row is left out of rate estimates.
	Error string
	// The stop estimate at the rate of the last 24 hours (see models.StopEstimate).
	EstimateStatus   string
	EstimateAt       *time.Time
	RateBytesPerHour float64

	// The allowance pool (AWS's rule: a deleted instance's month counts against the next
	// instance of the same bundle in the region) and what the guard could see.
	Bundle          string
	OwnOutBytes     float64 // NetworkOut of this instance since the cycle began
	CarriedOutBytes float64 // the NetworkOut part of CarriedBytes
	CarriedFrom     string  // JSON []CarriedUsage: the deleted instances CarriedBytes came from
	// DataAt is the newest datapoint seen (or when the instance was seen to start running,
	// or its creation); Blind is set when a running instance had none for 30 minutes, or
	// its reads failed. LastGoodAt is the last reading that can be trusted.
	DataAt     *time.Time
	Blind      bool
	LastGoodAt *time.Time
	SelfHost   bool // costbot runs on this instance

	// AccountID is the account the instance is in: "" for the credentials' own account
	// when AWS_ACCOUNTS is empty, so rows written before accounts existed stay its own.
	AccountID string `gorm:"index"`
}

func (LightsailUsage) TableName() string { return "lightsail_usage" }

// LightsailAction is every warning, stop and start, by the guard or a person
// (table lightsail_actions).
type LightsailAction struct {
	ID       uint      `gorm:"primaryKey"`
	At       time.Time `gorm:"index"`
	Cycle    string    `gorm:"index"` // YYYY-MM (UTC)
	Region   string
	Instance string `gorm:"index"`
	Action   string // warn, stop, start
	Level    float64
	Actor    string // "guard" or a Telegram user ID
	Reason   string
	Result   string // ok, failed, dry-run, pending (the call is under way), skipped
	Error    string

	// The push this action raised, kept until the notifier took it, so that no push is
	// lost to a failure or a restart (EventKind is empty when the action pushes nothing).
	EventKind      string
	EventKey       string
	EventData      string     // JSON of the kind's data type
	NotifiedAt     *time.Time `gorm:"index"`
	NotifyAttempts int
	NotifyDropped  bool

	// AccountID is the account the instance is in ("" as in LightsailUsage).
	AccountID string `gorm:"index"`
}

func (LightsailAction) TableName() string { return "lightsail_actions" }

// OutboxMessage is a push waiting for delivery (table outbox).
type OutboxMessage struct {
	ID            uint    `gorm:"primaryKey"`
	ChatID        int64   `gorm:"index"`
	DedupKey      *string `gorm:"uniqueIndex"` // nil for messages that need no de-duplication
	Text          string
	ParseMode     string
	CreatedAt     time.Time
	NextAttemptAt time.Time `gorm:"index"`
	Attempts      int
	SentAt        *time.Time `gorm:"index"`
	LastError     string
	Dropped       bool
}

func (OutboxMessage) TableName() string { return "outbox" }

// Chat is a chat's preferences (table chats).
type Chat struct {
	ChatID     int64 `gorm:"primaryKey;autoIncrement:false"`
	Lang       string
	Subscribed bool `gorm:"default:true"`
	Blocked    bool
	UpdatedAt  time.Time
	// Account is the account the chat looks at (/account); "" for every account it sees.
	Account string
}

func (Chat) TableName() string { return "chats" }

// JobRun is one run of a scheduled job (table job_runs).
type JobRun struct {
	ID         uint      `gorm:"primaryKey"`
	Job        string    `gorm:"index:idx_job_started,priority:1"`
	StartedAt  time.Time `gorm:"index:idx_job_started,priority:2"`
	FinishedAt *time.Time
	Outcome    string // running, ok, failed
	Error      string
	Counts     string // short human summary, e.g. "resources=42 errors=1"
}

func (JobRun) TableName() string { return "job_runs" }

// allTables are the tables GORM migrates; the cost history's tables are created by
// migrateCostSchema.
// retiredIndexes are unique indexes of earlier versions that a wider one replaced; they
// are dropped before migrating, as they would still refuse rows the new one allows.
var retiredIndexes = []string{
	"idx_lambda_hour", // (hour, region, function_name): two accounts may share a function name
}

func dropRetiredIndexes(db *gorm.DB) error {
	for _, name := range retiredIndexes {
		if err := db.Exec(`DROP INDEX IF EXISTS ` + name).Error; err != nil {
			return fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	return nil
}

func allTables() []any {
	return append([]any{
		&ResourceRow{}, &LambdaRecord{}, &MonthlySummary{},
		&PriceCacheEntry{}, &LightsailUsage{}, &LightsailAction{}, &OutboxMessage{}, &Chat{}, &JobRun{},
		&CostHour{}, &MonthToDateState{}, &CostEvent{}, &AlertState{},
		&WebLogin{}, &WebSession{}, &Account{},
	}, billingTables()...)
}
