package bot

import (
	"context"
	"slices"
	"strings"

	"github.com/go-telegram/bot/models"

	costmodels "costbot/models"
)

// Which accounts a chat looks at: TELEGRAM_CHAT_ACCOUNTS limits what it may see, and
// /account (or a filter button of /cost) narrows the views to one of those. Every cost
// view reads its figures through the chat's scope.

// chatAccounts is what a chat sees of the accounts.
type chatAccounts struct {
	Allowed costmodels.AccountScope // TELEGRAM_CHAT_ACCOUNTS's list for the chat; nil: every account
	Picked  string                  // the account /account chose, "" for every one it sees
	Known   []costmodels.Account    // the current stored accounts it sees, by ID
}

// Scope is what the chat's views cover.
func (c chatAccounts) Scope() costmodels.AccountScope {
	if c.Picked != "" {
		return costmodels.AccountScope{c.Picked}
	}
	return c.Allowed
}

// label names an account as the views do.
func (c chatAccounts) label(id string) string {
	for _, a := range c.Known {
		if a.ID == id {
			return a.Label()
		}
	}
	return id
}

// choices are the accounts the chat may pick: the stored ones it sees, and those
// TELEGRAM_CHAT_ACCOUNTS names for it that no job stored yet.
func (c chatAccounts) choices() []costmodels.Account {
	out := slices.Clone(c.Known)
	for _, id := range c.Allowed {
		if !slices.ContainsFunc(out, func(a costmodels.Account) bool { return a.ID == id }) {
			out = append(out, costmodels.Account{ID: id})
		}
	}
	return out
}

// find is the choice named by arg (its ID, or its name in any case).
func (c chatAccounts) find(arg string) (costmodels.Account, bool) {
	for _, a := range c.choices() {
		if a.ID == arg || (a.Name != "" && strings.EqualFold(a.Name, arg)) {
			return a, true
		}
	}
	return costmodels.Account{}, false
}

// accountsOf reads what chatID sees; a stored pick the chat may no longer see is
// ignored.
func (b *Bot) accountsOf(ctx context.Context, chatID int64) (chatAccounts, error) {
	c := chatAccounts{}
	if allowed := b.cfg.ChatAccounts.Of(chatID); allowed != nil {
		c.Allowed = costmodels.AccountScope(allowed)
	}
	stored, err := b.deps.Store.Accounts(ctx)
	if err != nil {
		return c, err
	}
	for _, a := range costmodels.VisibleAccounts(stored, c.Allowed) {
		if !a.Gone {
			c.Known = append(c.Known, a)
		}
	}
	picked, err := b.deps.Store.ChatAccount(ctx, chatID)
	if err != nil {
		return c, err
	}
	if picked != "" && c.Allowed.Covers(picked) {
		c.Picked = picked
	}
	return c, nil
}

// scopeOf is the scope of the request's chat.
func (b *Bot) scopeOf(ctx context.Context, r *Request) (costmodels.AccountScope, error) {
	c, err := b.accountsOf(ctx, r.ChatID)
	return c.Scope(), err
}

// accountAll is the /account argument and button payload for every account.
const accountAll = "all"

// cmdAccount shows or sets the account the chat looks at: /account, /account ID|NAME,
// /account all. An unknown argument gets the valid ones.
func (b *Bot) cmdAccount(ctx context.Context, r *Request) error {
	c, err := b.accountsOf(ctx, r.ChatID)
	if err != nil {
		return err
	}
	arg := strings.TrimSpace(r.Args)
	var head string
	switch {
	case arg == "":
	case strings.EqualFold(arg, accountAll):
		if c, err = b.pickAccount(ctx, r, c, ""); err != nil {
			return err
		}
		head = r.tr.T(msgID{"account.set_all"})
	default:
		a, ok := c.find(arg)
		if !ok {
			_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"account.unknown"}, map[string]any{
				"Arg": truncate(arg, 40), "Valid": validAccounts(c),
			}), accountKeyboard(r.tr, c, "ac"))
			return err
		}
		if c, err = b.pickAccount(ctx, r, c, a.ID); err != nil {
			return err
		}
		head = r.tr.T(msgID{"account.set"}, map[string]any{"Account": c.label(a.ID)})
	}
	text := renderAccounts(r.tr, c)
	if head != "" {
		text = head + "\n\n" + text
	}
	_, err = b.send(ctx, r.ChatID, text, accountKeyboard(r.tr, c, "ac"))
	return err
}

// onAccountButton is a button of /account: it picks the account and shows the list.
func (b *Bot) onAccountButton(ctx context.Context, r *Request, payload string) error {
	c, err := b.pickFromButton(ctx, r, payload)
	if err != nil {
		return err
	}
	return b.edit(ctx, r.ChatID, r.MessageID, renderAccounts(r.tr, c), accountKeyboard(r.tr, c, "ac"))
}

// pickFromButton picks the account a filter button names ("all" or an ID); a button
// for an account the chat may no longer see changes nothing.
func (b *Bot) pickFromButton(ctx context.Context, r *Request, payload string) (chatAccounts, error) {
	c, err := b.accountsOf(ctx, r.ChatID)
	if err != nil {
		return c, err
	}
	if payload == accountAll {
		return b.pickAccount(ctx, r, c, "")
	}
	if a, ok := c.find(payload); ok {
		return b.pickAccount(ctx, r, c, a.ID)
	}
	return c, nil
}

// pickAccount stores the chat's pick ("" for all it sees).
func (b *Bot) pickAccount(ctx context.Context, r *Request, c chatAccounts, id string) (chatAccounts, error) {
	if err := b.deps.Store.SetChatAccount(ctx, r.ChatID, id); err != nil {
		return c, err
	}
	c.Picked = id
	return c, nil
}

// validAccounts lists the arguments /account takes.
func validAccounts(c chatAccounts) string {
	valid := []string{accountAll}
	for _, a := range c.choices() {
		valid = append(valid, a.ID)
	}
	return strings.Join(valid, ", ")
}

// renderAccounts is /account's text: what the chat looks at, and every account it may
// pick.
func renderAccounts(tr translator, c chatAccounts) string {
	current := stripTags(tr.T(msgID{"account.every"}))
	if c.Picked != "" {
		current = c.label(c.Picked)
	}
	lines := []string{tr.T(msgID{"account.title"}), tr.T(msgID{"account.current"}, map[string]any{"Account": current})}
	choices := c.choices()
	if len(choices) == 0 {
		lines = append(lines, tr.T(msgID{"account.none"}))
		return strings.Join(lines, "\n")
	}
	lines = append(lines, "")
	for _, a := range choices {
		lines = append(lines, tr.T(msgID{"account.line"}, map[string]any{"Account": a.Label(), "ID": a.ID}))
	}
	lines = append(lines, "", tr.T(msgID{"account.usage"}))
	return strings.Join(lines, "\n")
}

// accountKeyboard is the filter: All and a button per account the chat may pick, the
// current one ticked; prefix routes the press (the /account list, or /cost in place).
func accountKeyboard(tr translator, c chatAccounts, prefix string) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: append(accountRows(tr, c, prefix, ""), []models.InlineKeyboardButton{backButton(tr)})}
}

// accountRows are the filter's buttons, their payloads after a fixed head (so /cost's
// can share its route with Refresh); none when the chat sees fewer than two accounts.
func accountRows(tr translator, c chatAccounts, prefix, head string) [][]models.InlineKeyboardButton {
	choices := c.choices()
	if len(choices) < 2 {
		return nil
	}
	all := stripTags(tr.T(msgID{"account.all_button"}))
	if c.Picked == "" {
		all = "✓ " + all
	}
	rows := [][]models.InlineKeyboardButton{{button(all, prefix, head+accountAll)}}
	return append(rows, gridOf(choices, 2, func(a costmodels.Account) models.InlineKeyboardButton {
		label := truncate(a.Label(), 40)
		if a.ID == c.Picked {
			label = "✓ " + label
		}
		return button(label, prefix, head+a.ID)
	})...)
}

// scopeLine names the account the views are narrowed to, "" when the chat looks at
// every account it sees.
func scopeLine(tr translator, c chatAccounts) string {
	if c.Picked == "" {
		return ""
	}
	return tr.T(msgID{"account.viewing"}, map[string]any{"Account": c.label(c.Picked)})
}
