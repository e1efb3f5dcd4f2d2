package bot

import (
	"context"
	"slices"

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
	return b.deps.Store.CostOverview(ctx, b.now(), b.cfg.ReportTZ, collectJob, b.billingScope())
}
