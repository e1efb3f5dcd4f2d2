package bot

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/go-telegram/bot/models"

	"costbot/config"
	costmodels "costbot/models"
)

// collectJob is the job name the scheduler records cost scans under.
const collectJob = "collect"

// collectTimeout bounds a /collect scan; it may outlast the usual handler timeout.
const collectTimeout = 10 * time.Minute

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
	if v.Billed, err = b.billed(ctx, v.Month); err != nil {
		return v, err
	}
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

// cmdCollect runs a scan now: "collecting…" at once, then the summary in its place.
func (b *Bot) cmdCollect(ctx context.Context, r *Request) error {
	if b.deps.Collector == nil {
		_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"collect.unavailable"}), nil)
		return err
	}
	sent, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"collect.running"}), nil)
	if err != nil {
		return err
	}
	// The scan is bounded by its own timeout, not the handler's; shutdown still cancels it.
	scanCtx, cancel := context.WithTimeout(b.work, collectTimeout)
	defer cancel()
	summary, err := b.deps.Collector.CollectNow(scanCtx)
	var text string
	if err != nil {
		b.log.Error("collect now failed", "chat_id", r.ChatID, "user_id", r.UserID, "error", err)
		text = r.tr.T(msgID{"collect.failed"}, map[string]any{"Error": truncate(Redact(err.Error(), b.cfg.TelegramToken), 300)})
	} else {
		text = renderCollect(r.tr, summary)
	}
	if err := b.edit(scanCtx, r.ChatID, sent, text, nil); err != nil {
		return fmt.Errorf("collect: report: %w", err)
	}
	return nil
}
