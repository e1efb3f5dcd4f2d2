package bot

import (
	"context"

	"github.com/go-telegram/bot/models"
)

// menuButton is one button of the main menu that /start shows. Pressing it edits the
// menu message into what Show renders.
type menuButton struct {
	Key   string // callback payload after "m:"
	Label msgID
	Show  func(ctx context.Context, r *Request) (html string, markup *models.InlineKeyboardMarkup, err error)
}

// menuKeyHome is the payload of the "back to the menu" button.
const menuKeyHome = "home"

// menuTable lists the main menu, two buttons a row. A new button is a new row.
func (b *Bot) menuTable() []menuButton {
	return []menuButton{
		{Key: "cost", Label: msgID{"menu.cost"}, Show: b.showCost},
		{Key: "services", Label: msgID{"menu.services"}, Show: b.showServicePicker},
		{Key: "bill", Label: msgID{"menu.bill"}, Show: b.showBill},
		{Key: "charts", Label: msgID{"menu.charts"}, Show: b.showChartPicker},
		{Key: "lightsail", Label: msgID{"menu.lightsail"}, Show: b.showLightsail},
		{Key: "help", Label: msgID{"menu.help"}, Show: b.showHelp},
		{Key: "status", Label: msgID{"menu.status"}, Show: b.showStatus},
		{Key: "lang", Label: msgID{"menu.lang"}, Show: b.showLangPicker},
	}
}

func (b *Bot) mainMenu(tr translator) *models.InlineKeyboardMarkup {
	var rows [][]models.InlineKeyboardButton
	for i, m := range b.menuTable() {
		if i%2 == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], button(tr.T(m.Label), "m", m.Key))
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func backButton(tr translator) models.InlineKeyboardButton {
	return button(tr.T(msgID{"menu.back"}), "m", menuKeyHome)
}

func backOnly(tr translator) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{backButton(tr)}}}
}

func (b *Bot) onMenuButton(ctx context.Context, r *Request, key string) error {
	show := b.showHome
	for _, m := range b.menuTable() {
		if m.Key == key {
			show = m.Show
		}
	}
	text, markup, err := show(ctx, r)
	if err != nil {
		return err
	}
	return b.edit(ctx, r.ChatID, r.MessageID, text, markup)
}

func (b *Bot) showHome(_ context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	return r.tr.T(msgID{"start.welcome"}), b.mainMenu(r.tr), nil
}

func (b *Bot) showHelp(_ context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	return renderHelp(r.tr, b.order), backOnly(r.tr), nil
}

func (b *Bot) showStatus(ctx context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	text, err := b.statusText(ctx, r)
	return text, backOnly(r.tr), err
}

func (b *Bot) showLangPicker(_ context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	return r.tr.T(msgID{"lang.pick"}, map[string]any{"Current": langNames[r.tr.lang]}), langKeyboard(r.tr), nil
}
