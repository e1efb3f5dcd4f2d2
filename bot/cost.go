package bot

import (
	"context"
	"slices"
	"strings"

	"github.com/go-telegram/bot/models"

	"costbot/config"
	costmodels "costbot/models"
)

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

// onCostButton is the Refresh button ("r") and the account filter ("a:<id>" or "a:all"):
// the view, for the account picked, edited in place.
func (b *Bot) onCostButton(ctx context.Context, r *Request, payload string) error {
	if pick, ok := strings.CutPrefix(payload, costFilter); ok {
		if _, err := b.pickFromButton(ctx, r, pick); err != nil {
			return err
		}
	}
	text, markup, err := b.showCost(ctx, r)
	if err != nil {
		return err
	}
	return b.edit(ctx, r.ChatID, r.MessageID, text, markup)
}

// costFilter heads the payload of /cost's account filter buttons.
const costFilter = "a:"

func (b *Bot) showCost(ctx context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	accts, err := b.accountsOf(ctx, r.ChatID)
	if err != nil {
		return "", nil, err
	}
	v, err := b.figures.Overview(ctx, accts.Scope(), b.now())
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
	markup := costKeyboard(r.tr, present)
	filter := accountRows(r.tr, accts, "c", costFilter)
	markup.InlineKeyboard = append(markup.InlineKeyboard[:len(markup.InlineKeyboard)-1:len(markup.InlineKeyboard)-1],
		append(filter, markup.InlineKeyboard[len(markup.InlineKeyboard)-1])...)
	return withScopeLine(renderCost(r.tr, v), scopeLine(r.tr, accts)), markup, nil
}

// withScopeLine puts the line naming the account a view is narrowed to under the
// view's title (its first line).
func withScopeLine(text, line string) string {
	if line == "" {
		return text
	}
	title, rest, found := strings.Cut(text, "\n")
	if !found {
		return title + "\n" + line
	}
	return title + "\n" + line + "\n" + rest
}
