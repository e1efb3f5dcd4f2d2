package bot

import (
	"strings"
	"time"

	"costbot/figures"
	costmodels "costbot/models"
)

// Rendering of what AWS billed beside costbot's estimate: values in, HTML out.

func init() {
	registerEvent(costmodels.EventBillDifference, renderBillDifference)
	registerEvent(costmodels.EventBillCredit, renderBillCredit)
	registerEvent(costmodels.EventBillFinal, renderBillFinal)
}

// billedLineName shows a line costbot does not estimate in the chat's language when it
// is one of costbot's own groups, else as Cost Explorer names it.
func billedLineName(tr translator, name string) string {
	ids := map[string]msgID{
		costmodels.LineDataTransfer: msgID{"billed.line.data_transfer"}, costmodels.LineSnapshots: msgID{"billed.line.snapshots"},
		costmodels.LineTax: msgID{"billed.line.tax"}, costmodels.LineSupport: msgID{"billed.line.support"},
		costmodels.LineCredits: msgID{"billed.line.credits"}, costmodels.LineRefunds: msgID{"billed.line.refunds"},
	}
	if id, ok := ids[name]; ok {
		return stripTags(tr.T(id))
	}
	return name
}

// billedDays shows the billed span: 2026-03-01 – 2026-03-04.
func billedDays(c costmodels.BillComparison) string {
	if c.From.Equal(c.Through) {
		return c.From.Format(time.DateOnly)
	}
	return c.From.Format(time.DateOnly) + " – " + c.Through.Format(time.DateOnly)
}

// renderComparison: per service estimated, billed and the difference; the billed lines
// costbot does not estimate; credits; totals gross and net against the estimate.
func renderComparison(tr translator, c costmodels.BillComparison) string {
	if c.Empty() {
		return tr.T(msgID{"billed.none"}, map[string]any{"Month": c.Month})
	}
	state := stripTags(tr.T(msgID{"billed.provisional"}))
	if c.Final {
		state = stripTags(tr.T(msgID{"billed.final"}))
	}
	lines := []string{tr.T(msgID{"billed.title"}, map[string]any{"Days": billedDays(c), "State": state})}
	for _, s := range c.Services {
		line := tr.T(msgID{"billed.service"}, map[string]any{
			"Service": serviceName(s.Service), "Estimated": formatUSD(s.EstimatedUSD), "Billed": formatUSD(s.BilledUSD), "Diff": formatDiff(s.DiffUSD()),
		})
		if s.OverEstimate() && s.TopUsageType != "" {
			line += " " + tr.T(msgID{"billed.mostly"}, map[string]any{"Usage": s.TopUsageType})
		}
		lines = append(lines, line)
		if s.OverageUSD != 0 {
			lines = append(lines, tr.T(msgID{"billed.overage_part"}, map[string]any{"Amount": formatUSD(s.OverageUSD), "GB": formatGBValue(c.OverageGB())}))
		}
	}
	if len(c.Other) > 0 {
		lines = append(lines, tr.T(msgID{"billed.other"}))
		for _, o := range c.Other {
			lines = append(lines, tr.T(msgID{"billed.line"}, map[string]any{"Name": billedLineName(tr, o.Name), "Amount": formatUSD(o.USD)}))
		}
	}
	if len(c.Credits) > 0 {
		lines = append(lines, tr.T(msgID{"billed.credits"}))
		for _, o := range c.Credits {
			lines = append(lines, tr.T(msgID{"billed.line"}, map[string]any{"Name": billedLineName(tr, o.Name), "Amount": formatUSD(o.USD)}))
		}
	}
	lines = append(lines, tr.T(msgID{"billed.totals"}, map[string]any{
		"Gross": formatUSD(c.GrossUSD), "Net": formatUSD(c.NetUSD), "Estimated": formatUSD(c.EstimatedUSD),
	}))
	if !c.Covered() {
		lines = append(lines, tr.T(msgID{"billed.partly_estimated"}, map[string]any{"Estimated": c.EstimatedDays, "Days": c.Days}))
	}
	return strings.Join(lines, "\n")
}

// formatGBValue shows GB as /lightsail does: 10.00 GB.
func formatGBValue(gb float64) string { return formatGB(gb * 1e9) }

// billedSoFarLine is /cost's line: what AWS billed this month through its last billed
// day, and costbot's estimate for those days.
func billedSoFarLine(tr translator, c costmodels.BillComparison) string {
	return tr.T(msgID{"billed.so_far"}, map[string]any{
		"Through": c.Through.Format(time.DateOnly), "Billed": formatUSD(c.GrossUSD), "Estimated": formatUSD(c.EstimatedUSD),
	})
}

// forecastLine is the overview's month-end forecast (billed days already in AWS's
// figures), saying so when there are any.
func forecastLine(tr translator, v figures.Overview) string {
	if v.Billed == nil {
		return tr.T(msgID{"cost.forecast"}, map[string]any{"Amount": formatUSD(v.Forecast())})
	}
	return tr.T(msgID{"billed.forecast"}, map[string]any{"Amount": formatUSD(v.Forecast()), "Through": v.Billed.Through.Format(time.DateOnly)})
}

// overageLine says how many GB of Lightsail overage AWS billed this month, per region:
// 0 GB is the guard at work.
func overageLine(tr translator, c costmodels.BillComparison) string {
	if c.Empty() {
		return ""
	}
	if len(c.Overage) == 0 {
		return tr.T(msgID{"billed.overage_none"}, map[string]any{"Through": c.Through.Format(time.DateOnly)})
	}
	var parts []string
	for _, o := range c.Overage {
		parts = append(parts, o.Region+" "+formatGBValue(o.GB)+" ("+formatUSD(o.USD)+")")
	}
	return tr.T(msgID{"billed.overage"}, map[string]any{"Through": c.Through.Format(time.DateOnly), "Regions": strings.Join(parts, ", ")})
}

func renderBillDifference(tr translator, data any) (string, error) {
	d, err := eventData[costmodels.BillDifference](costmodels.EventBillDifference, data)
	if err != nil {
		return "", err
	}
	usage := d.TopUsageType
	if usage == "" {
		usage = "?"
	}
	return tr.T(msgID{"event.bill_difference"}, map[string]any{
		"Service": serviceName(d.Service), "Billed": formatUSD(d.BilledUSD), "Estimated": formatUSD(d.EstimatedUSD),
		"Usage": usage, "Month": d.Month, "Through": d.Through, "Diff": formatDiff(d.DiffUSD()),
	}), nil
}

func renderBillCredit(tr translator, data any) (string, error) {
	c, err := eventData[costmodels.BillCredit](costmodels.EventBillCredit, data)
	if err != nil {
		return "", err
	}
	return tr.T(msgID{"event.bill_credit"}, map[string]any{
		"Name": billedLineName(tr, c.Name), "Amount": formatUSD(c.USD), "Month": c.Month, "Total": formatUSD(c.TotalUSD),
	}), nil
}

func renderBillFinal(tr translator, data any) (string, error) {
	c, err := eventData[costmodels.BillComparison](costmodels.EventBillFinal, data)
	if err != nil {
		return "", err
	}
	return tr.T(msgID{"event.bill_final"}, map[string]any{"Month": c.Month, "Net": formatUSD(c.NetUSD)}) + "\n\n" + renderComparison(tr, c), nil
}

// billingStatusView is the billing part of /status.
type billingStatusView struct {
	Enabled      bool
	Status       *costmodels.BillingStatus
	MonthRequest int // paid requests this month
}

func renderBillingStatus(tr translator, v billingStatusView, tz *time.Location) string {
	if !v.Enabled {
		return tr.T(msgID{"billed.status_off"})
	}
	lines := []string{tr.T(msgID{"billed.status_requests"}, map[string]any{
		"Count": v.MonthRequest, "Cost": formatUSD(float64(v.MonthRequest) * costExplorerRequestUSD),
	})}
	if v.Status == nil {
		return strings.Join(append(lines, tr.T(msgID{"billed.status_never"})), "\n")
	}
	if v.Status.Problem == "" {
		return strings.Join(append(lines, tr.T(msgID{"billed.status_ok"}, map[string]any{"Time": formatTime(v.Status.CheckedAt, tz)})), "\n")
	}
	problem, ok := billingProblems[v.Status.Problem]
	if !ok {
		problem = billingProblems[costmodels.BillingFailed]
	}
	lines = append(lines, tr.T(msgID{"billed.status_problem"}, map[string]any{
		"Time": formatTime(v.Status.CheckedAt, tz), "Problem": stripTags(tr.T(problem)),
	}))
	return strings.Join(lines, "\n")
}

// billingProblems say in one line what is wrong with reading Cost Explorer and how to
// fix it.
var billingProblems = map[string]msgID{
	costmodels.BillingNotEnabled:      msgID{"billed.problem.not_enabled"},
	costmodels.BillingAccessDenied:    msgID{"billed.problem.access_denied"},
	costmodels.BillingThrottled:       msgID{"billed.problem.throttled"},
	costmodels.BillingDataUnavailable: msgID{"billed.problem.data_unavailable"},
	costmodels.BillingBudget:          msgID{"billed.problem.budget"},
	costmodels.BillingFailed:          msgID{"billed.problem.failed"},
}

// costExplorerRequestUSD is what AWS charges for one Cost Explorer request.
const costExplorerRequestUSD = 0.01
