package models

// Event kinds raised by the billing job; the bot renders each.
const (
	// EventBillDifference: AWS billed a service more than costbot estimated for the same
	// closed days, by more than max($1, 10 %). Once per service per month.
	EventBillDifference = "bill.difference"
	// EventBillCredit: a credit or refund appeared on a month's bill.
	EventBillCredit = "bill.credit"
	// EventBillFinal: AWS finalised a month's bill.
	EventBillFinal = "bill.final"
)

// BillDifference is the data of EventBillDifference.
type BillDifference struct {
	Month   string
	Through string // the last closed day compared, YYYY-MM-DD
	ServiceComparison
}

// BillCredit is the data of EventBillCredit: a credit or refund on a service.
type BillCredit struct {
	Month    string
	Name     string // the service the credit applies to, or LineCredits / LineRefunds
	USD      float64
	TotalUSD float64 // every credit and refund of the month so far
}

// BillingProblemAdvice says, in one line, what is wrong with reading Cost Explorer and
// how to fix it (the job's error, `costbot doctor`); the bot says the same in the chat's
// language.
var BillingProblemAdvice = map[string]string{
	BillingNotEnabled:      "Cost Explorer is not enabled on this account: enable it once in the Billing console (Cost Explorer, Launch Cost Explorer); data follows within 24 hours",
	BillingAccessDenied:    "access to Cost Explorer denied: allow ce:GetCostAndUsage in costbot's IAM policy (in a member account of an organization, the management account must also grant member accounts access to Cost Explorer)",
	BillingThrottled:       "Cost Explorer kept answering LimitExceededException after every retry: the next run tries again",
	BillingDataUnavailable: "Cost Explorer has no data for these days yet (it was just enabled, or AWS is still preparing it): the next run tries again",
	BillingBudget:          "COST_EXPLORER_MAX_REQUESTS_PER_DAY requests were made today: raise it, or wait for tomorrow",
	BillingFailed:          "Cost Explorer could not be read: see the error; the next run tries again",
}
