package bot

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"costbot/figures"
	costmodels "costbot/models"
)

// Renderers of the events the cost jobs push.
func init() {
	registerEvent(costmodels.EventNewResource, renderNewResource)
	registerEvent(costmodels.EventBurnJump, renderBurnJump)
	registerEvent(costmodels.EventBudget, renderBudget)
	registerEvent(costmodels.EventBillClosed, renderBillClosed)
}

// eventData accepts the kind's data type as a value or a pointer.
func eventData[T any](kind string, data any) (T, error) {
	switch v := data.(type) {
	case T:
		return v, nil
	case *T:
		if v != nil {
			return *v, nil
		}
	}
	var zero T
	return zero, fmt.Errorf("%s: unexpected data %T", kind, data)
}

func renderNewResource(tr translator, data any) (string, error) {
	a, err := eventData[costmodels.NewResourceAlert](costmodels.EventNewResource, data)
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(a.Name)
	if name == "" {
		name = a.ID
	}
	return tr.T(msgID{"event.new_resource"}, map[string]any{
		"Threshold": formatUSD(a.Threshold), "Name": truncate(name, 60), "ID": truncate(a.ID, 80),
		"Service": serviceName(a.Service), "Type": a.Type, "Region": a.Region,
		"Rate": formatRate(a.HourlyUSD), "Monthly": formatUSD(a.MonthlyUSD), "Source": stripTags(sourceText(tr, a.Source)),
	}), nil
}

func renderBurnJump(tr translator, data any) (string, error) {
	a, err := eventData[costmodels.BurnJumpAlert](costmodels.EventBurnJump, data)
	if err != nil {
		return "", err
	}
	lines := []string{tr.T(msgID{"event.burn_jump"}, map[string]any{
		"Change": formatChange(a.JumpPercent), "Rate": formatRate(a.HourlyUSD), "Median": formatRate(a.MedianUSD),
		"Threshold": formatPercent(a.Threshold), "Hour": a.Hour.UTC().Format("2006-01-02 15:04 MST"),
	})}
	if len(a.TopServices) > 0 {
		lines = append(lines, "", tr.T(msgID{"event.top_services"}))
		for _, s := range a.TopServices {
			lines = append(lines, tr.T(msgID{"cost.service_line"}, map[string]any{
				"Service": serviceName(s.Service), "Rate": formatRate(s.USD), "Percent": formatPercent(figures.Share(s.USD, a.HourlyUSD)),
			}))
		}
	}
	return strings.Join(lines, "\n"), nil
}

func renderBudget(tr translator, data any) (string, error) {
	a, err := eventData[costmodels.BudgetAlert](costmodels.EventBudget, data)
	if err != nil {
		return "", err
	}
	return tr.T(msgID{"event.budget"}, map[string]any{
		"Month": a.Month, "Forecast": formatUSD(a.ForecastUSD), "Budget": formatUSD(a.BudgetUSD), "SoFar": formatUSD(a.SoFarUSD),
	}), nil
}

func renderBillClosed(tr translator, data any) (string, error) {
	a, err := eventData[costmodels.BillClosed](costmodels.EventBillClosed, data)
	if err != nil {
		return "", err
	}
	services := append([]costmodels.ServiceCost(nil), a.Services...)
	costmodels.SortServiceCosts(services)
	lines := []string{
		tr.T(msgID{"event.bill_closed"}, map[string]any{"Month": a.Month, "Total": formatUSD(a.TotalUSD)}),
		tr.T(msgID{"bill.hours"}, map[string]any{"Hours": a.Hours, "Estimated": a.EstimatedHours}),
		"",
	}
	unpriced := 0
	for _, s := range services {
		if s.USD == 0 && a.Unpriced[s.Service] > 0 {
			continue // said below as unpriced, never $0.00
		}
		lines = append(lines, tr.T(msgID{"bill.line"}, map[string]any{
			"Service": serviceName(s.Service), "Amount": formatUSD(s.USD), "Percent": formatPercent(figures.Share(s.USD, a.TotalUSD)),
		}))
	}
	for _, s := range slices.Sorted(maps.Keys(a.Unpriced)) {
		if n := a.Unpriced[s]; n > 0 {
			unpriced += n
			lines = append(lines, tr.T(msgID{"bill.unpriced_line"}, map[string]any{"Service": serviceName(s), "Count": n}))
		}
	}
	if unpriced > 0 {
		lines = append(lines, tr.T(msgID{"bill.unpriced"}, map[string]any{"Count": unpriced}))
	}
	if a.Billed != nil {
		lines = append(lines, "", renderComparison(tr, *a.Billed))
	}
	return strings.Join(lines, "\n"), nil
}
