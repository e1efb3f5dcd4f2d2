package bot

import (
	"context"
	"time"

	costmodels "costbot/models"
)

// billed is AWS's bill for month beside costbot's estimate of the same days, or nil when
// costbot does not read Cost Explorer (COST_EXPLORER_INTERVAL=off).
func (b *Bot) billed(ctx context.Context, month string) (*costmodels.BillComparison, error) {
	return b.deps.Store.Billed(ctx, month, b.billingScope())
}

// billingScope is whether costbot reads AWS's bill, and the services it estimates.
func (b *Bot) billingScope() costmodels.BillingScope {
	return costmodels.BillingScope{On: b.cfg.CostExplorerInterval > 0, Estimated: b.cfg.CostServices}
}

// overageBilled is the line of Lightsail overage AWS billed this month, or "".
func (b *Bot) overageBilled(ctx context.Context, tr translator) (string, error) {
	c, err := b.billed(ctx, costmodels.MonthOf(b.now()))
	if err != nil || c == nil {
		return "", err
	}
	return overageLine(tr, *c), nil
}

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
