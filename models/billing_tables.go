package models

import "time"

// What AWS billed, as Cost Explorer reports it: its own tables, written by the billing
// job and read by /bill, /cost, /status, /lightsail and the daily report.

// Record types of a billed line. Cost Explorer's RECORD_TYPE dimension tells usage, tax,
// support, credits and refunds apart; costbot asks for usage (with tax and support,
// which come as their own services) grouped by service and usage type, and for credits
// and refunds grouped by record type and service.
const (
	RecordUsage  = "Usage"
	RecordCredit = "Credit"
	RecordRefund = "Refund"
)

// BilledCost is one line of one day of AWS's bill (table billed_costs): what Cost
// Explorer said a service's usage type cost that day. A credit or refund has no usage
// type and a negative amount.
type BilledCost struct {
	ID        uint      `gorm:"primaryKey"`
	Day       time.Time `gorm:"uniqueIndex:idx_billed_line,priority:1;not null"`                                   // midnight UTC
	Service   string    `gorm:"uniqueIndex:idx_billed_line,priority:2;index:idx_billed_month,priority:2;not null"` // as Cost Explorer writes it
	UsageType string    `gorm:"uniqueIndex:idx_billed_line,priority:3;index:idx_billed_month,priority:3;not null"`
	Record    string    `gorm:"uniqueIndex:idx_billed_line,priority:4;index:idx_billed_month,priority:4;not null"` // RecordUsage, RecordCredit, RecordRefund
	// Month leads the index the comparison reads a month's lines in, grouped.
	Month string `gorm:"index:idx_billed_month,priority:1;not null"` // YYYY-MM (UTC)
	// UnblendedUSD is the gross cost; NetUSD is after discounts (NetUnblendedCost).
	UnblendedUSD float64
	NetUSD       float64
	Quantity     float64 // UsageQuantity, in Unit (GB for data transfer)
	Unit         string
	// Estimated is Cost Explorer's own flag: true until AWS finalises the month.
	Estimated bool
	FetchedAt time.Time
}

func (BilledCost) TableName() string { return "billed_costs" }

// BilledAccountCost is one linked account's bill for one service and day (table
// billed_account_costs), every record type together: what Cost Explorer of the
// management account says each account of the organization cost. The lines of
// billed_costs are the whole organization's; these split it by account.
type BilledAccountCost struct {
	ID           uint      `gorm:"primaryKey"`
	Day          time.Time `gorm:"uniqueIndex:idx_billed_account_line,priority:1;not null"` // midnight UTC
	AccountID    string    `gorm:"uniqueIndex:idx_billed_account_line,priority:2;index;not null"`
	Service      string    `gorm:"uniqueIndex:idx_billed_account_line,priority:3;not null"`
	Month        string    `gorm:"index;not null"` // YYYY-MM (UTC)
	UnblendedUSD float64
	NetUSD       float64
	Estimated    bool
	FetchedAt    time.Time
}

func (BilledAccountCost) TableName() string { return "billed_account_costs" }

// BilledMonth is what costbot holds of one month of AWS's bill (table billed_months).
// A final month is never asked for again.
type BilledMonth struct {
	Month     string     `gorm:"primaryKey"` // YYYY-MM (UTC)
	Through   *time.Time // the last day with billed data (midnight UTC)
	Days      int        // days with billed data
	Final     bool       // every day of the month came with Estimated false
	FinalAt   *time.Time
	FetchedAt time.Time
}

func (BilledMonth) TableName() string { return "billed_months" }

// CostExplorerRequest is one paid request to Cost Explorer (table ce_requests): each one
// costs $0.01, each page counting. Kept to hold the daily budget across restarts and to
// say in /status what the month's requests cost.
type CostExplorerRequest struct {
	ID    uint      `gorm:"primaryKey"`
	At    time.Time `gorm:"index;not null"`
	Month string    // the billing month asked for
	Query string    // usage or credits
}

func (CostExplorerRequest) TableName() string { return "ce_requests" }

// BillingStatus is the latest outcome of reading Cost Explorer (table billing_status,
// one row): what is wrong, if anything, for /status and `costbot doctor`.
type BillingStatus struct {
	Name      string `gorm:"primaryKey"` // always "ce"
	CheckedAt time.Time
	Problem   string // "" when the last run read what it asked for; else a BillingProblem
	Detail    string // the error as AWS put it
	LastOKAt  *time.Time
}

func (BillingStatus) TableName() string { return "billing_status" }

// billingTables are migrated with the rest (see allTables).
func billingTables() []any {
	return []any{&BilledCost{}, &BilledMonth{}, &CostExplorerRequest{}, &BillingStatus{}, &BilledAccountCost{}}
}

// Problems reading Cost Explorer, each with its own one-line advice.
const (
	BillingNotEnabled      = "not_enabled"      // Cost Explorer never enabled on the account
	BillingAccessDenied    = "access_denied"    // no ce:GetCostAndUsage, or a member account denied
	BillingThrottled       = "throttled"        // LimitExceededException after every retry
	BillingDataUnavailable = "data_unavailable" // Cost Explorer has no data yet
	BillingBudget          = "budget"           // COST_EXPLORER_MAX_REQUESTS_PER_DAY reached
	BillingFailed          = "failed"           // anything else
)
