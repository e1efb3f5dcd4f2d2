package bot

import (
	"context"
	"slices"
	"time"

	"github.com/go-telegram/bot/models"

	"costbot/config"
	costmodels "costbot/models"
)

// collectJob is the job name the scheduler records cost scans under.
const collectJob = "collect"

// CollectNower runs a cost scan now (the collect job), for /collect.
type CollectNower interface {
	CollectNow(ctx context.Context) (costmodels.CollectSummary, error)
}

// cmdCost shows the burn rate, today, the month and its forecast, per service.
func (b *Bot) cmdCost(ctx context.Context, r *Request) error {
	text, markup, err := b.showCost(ctx, r)
	if err != nil {
		return err
	}
	_, err = b.send(ctx, r.ChatID, text, markup)
	return err
}

// onCostButton is the Refresh button: the same view, edited in place.
func (b *Bot) onCostButton(ctx context.Context, r *Request, _ string) error {
	text, markup, err := b.showCost(ctx, r)
	if err != nil {
		return err
	}
	return b.edit(ctx, r.ChatID, r.MessageID, text, markup)
}

func (b *Bot) showCost(ctx context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	v, err := b.costView(ctx)
	if err != nil {
		return "", nil, err
	}
	present := make([]string, 0, len(v.Services))
	for _, s := range v.Services {
		present = append(present, s.Service)
	}
	for _, s := range config.Services { // services with only unpriced resources have a page too
		if v.Active[s] > 0 && !slices.Contains(present, s) {
			present = append(present, s)
		}
	}
	return renderCost(r.tr, v), costKeyboard(r.tr, present), nil
}

// costView reads what /cost shows.
func (b *Bot) costView(ctx context.Context) (costView, error) {
	st := b.deps.Store
	now := b.now().UTC()
	v := costView{Now: now, TZ: b.cfg.ReportTZ, Month: costmodels.MonthOf(now)}
	tally, err := st.TallyActiveResources(ctx)
	if err != nil {
		return v, err
	}
	v.Active, v.Sources = tally.PerService, tally.Sources
	latest, ok, err := st.LatestCostHour(ctx)
	if err != nil || !ok {
		return v, err
	}
	v.HasData, v.LatestHour = true, latest
	next := latest.Add(time.Hour)
	services, err := st.ServiceCostsBetween(ctx, latest, next)
	if err != nil {
		return v, err
	}
	for _, s := range services {
		v.HourlyUSD += s.USD
		// A service whose resources have no price sums to $0: the unpriced count says
		// so, its share line would not.
		if s.USD > 0 {
			v.Services = append(v.Services, s)
		}
	}
	local := now.In(v.TZ)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, v.TZ)
	if v.TodayUSD, err = st.CostTotal(ctx, midnight, next); err != nil {
		return v, err
	}
	bill, err := st.MonthBill(ctx, v.Month)
	if err != nil {
		return v, err
	}
	v.MonthUSD = bill.TotalUSD
	day, err := st.HourlyTotals(ctx, latest.Add(-24*time.Hour), next)
	if err != nil {
		return v, err
	}
	v.Trend = computeTrend(day, latest)
	if v.LastScan, err = st.LastRunOf(ctx, collectJob); err != nil {
		return v, err
	}
	return v, nil
}
