package bot

import (
	"context"
	"regexp"
	"strings"

	"github.com/go-telegram/bot/models"

	costmodels "costbot/models"
)

// billMonthsShown is how many months of bills the month buttons reach back.
const billMonthsShown = 13

var monthArg = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// cmdBill shows a month's bill: /bill for this month so far, /bill YYYY-MM for another.
func (b *Bot) cmdBill(ctx context.Context, r *Request) error {
	month := strings.TrimSpace(r.Args)
	if month == "" {
		month = costmodels.MonthOf(b.now())
	}
	if !monthArg.MatchString(month) {
		_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"bill.usage"}, map[string]any{"Example": costmodels.MonthOf(b.now())}), nil)
		return err
	}
	text, markup, err := b.billMonth(ctx, r, month)
	if err != nil {
		return err
	}
	_, err = b.send(ctx, r.ChatID, text, markup)
	return err
}

// onBillButton shows the month in the button's payload in place.
func (b *Bot) onBillButton(ctx context.Context, r *Request, month string) error {
	if !monthArg.MatchString(month) {
		month = costmodels.MonthOf(b.now())
	}
	text, markup, err := b.billMonth(ctx, r, month)
	if err != nil {
		return err
	}
	return b.edit(ctx, r.ChatID, r.MessageID, text, markup)
}

// showBill is the menu's Bill button: this month.
func (b *Bot) showBill(ctx context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	return b.billMonth(ctx, r, costmodels.MonthOf(b.now()))
}

func (b *Bot) billMonth(ctx context.Context, r *Request, month string) (string, *models.InlineKeyboardMarkup, error) {
	now := b.now()
	accts, err := b.accountsOf(ctx, r.ChatID)
	if err != nil {
		return "", nil, err
	}
	v, err := b.figures.Bill(ctx, accts.Scope(), month, now)
	if err != nil {
		return "", nil, err
	}
	months, err := b.figures.BillMonths(ctx, now, billMonthsShown)
	if err != nil {
		return "", nil, err
	}
	text := withScopeLine(renderBill(r.tr, v, b.cfg.ReportTZ), scopeLine(r.tr, accts)) + renderBilledPart(r.tr, v.Billed, v.Current && !v.Bill.Empty())
	return text, billKeyboard(r.tr, month, months), nil
}
