package bot

import (
	"context"
	"time"

	costmodels "costbot/models"
)

// billingStatus is the Cost Explorer part of /status.
func (b *Bot) billingStatus(ctx context.Context) (*billingStatusView, error) {
	v := &billingStatusView{Enabled: b.cfg.CostExplorerInterval > 0}
	if !v.Enabled {
		return v, nil
	}
	st, ok, err := b.deps.Store.BillingStatusOf(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		v.Status = &st
	}
	start, _ := costmodels.MonthStart(costmodels.MonthOf(b.now()))
	if v.MonthRequest, err = b.deps.Store.CostExplorerRequests(ctx, start, start.AddDate(0, 1, 0)); err != nil {
		return nil, err
	}
	return v, nil
}

// renderBilledPart is what /bill adds for AWS's bill, once costbot holds some of it: the
// comparison, and for the current month the note that the forecast counts the billed
// days in AWS's figures.
func renderBilledPart(tr translator, c *costmodels.BillComparison, withForecast bool) string {
	if c == nil || c.Empty() {
		return ""
	}
	out := "\n\n" + renderComparison(tr, *c)
	if withForecast {
		out += "\n" + tr.T(msgID{"billed.forecast_note"}, map[string]any{"Through": c.Through.Format(time.DateOnly)})
	}
	return out
}
