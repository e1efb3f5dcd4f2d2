package models

import "time"

// Event kinds raised by the cost jobs; the bot renders each.
const (
	EventNewResource = "cost.new_resource"
	EventBurnJump    = "cost.burn_jump"
	EventBudget      = "cost.budget"
	EventBillClosed  = "bill.closed"
)

// NewResourceAlert: a resource appeared whose monthly cost is at least the threshold
// (ALERT_NEW_RESOURCE_USD).
type NewResourceAlert struct {
	AccountID  string `json:",omitempty"`
	Service    string
	Region     string
	ID         string
	Name       string
	Type       string
	HourlyUSD  float64
	MonthlyUSD float64
	Source     string
	Threshold  float64
	SeenAt     time.Time
}

// BurnJumpAlert: the hourly burn rate is at least Percent above the median of the last
// 24 hours.
type BurnJumpAlert struct {
	Hour        time.Time
	HourlyUSD   float64
	MedianUSD   float64
	JumpPercent float64 // observed increase, e.g. 45.2
	Threshold   float64 // ALERT_BURN_JUMP_PERCENT
	TopServices []ServiceCost
}

// BudgetAlert: the month-end forecast crossed MONTHLY_BUDGET_USD.
type BudgetAlert struct {
	Month       string // YYYY-MM
	ForecastUSD float64
	BudgetUSD   float64
	SoFarUSD    float64
}

// BillClosed: a month ended; its bill is final.
type BillClosed struct {
	Month          string // YYYY-MM
	TotalUSD       float64
	Services       []ServiceCost // sorted by cost, highest first
	Hours          int
	EstimatedHours int
	// Billed is AWS's (provisional) bill of the month as known at the close, beside the
	// estimate; nil when Cost Explorer is off.
	Billed *BillComparison `json:",omitempty"`
	// Unpriced are the resources per service the month saw without a price: the total
	// leaves them out, and a service with nothing else is said unpriced, never $0.00.
	Unpriced map[string]int `json:",omitempty"`
}

// ServiceCost is one service's share of a total.
type ServiceCost struct {
	Service string
	USD     float64
}
