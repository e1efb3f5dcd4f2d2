package bot

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// maxCallbackData is Telegram's limit for a button's callback data, in bytes.
const maxCallbackData = 64

// callbackRoute is one row of the button router: callback data "<Prefix>:<payload>"
// goes to Handle with the payload.
type callbackRoute struct {
	Prefix string // short: it is paid for in every button's 64 bytes
	Name   string // for logs and metrics
	Admin  bool   // destructive: only TELEGRAM_ADMIN_IDS may press it
	Handle func(ctx context.Context, r *Request, payload string) error
}

// callbackRoutes lists every button route. A new kind of button is a new row.
func (b *Bot) callbackRoutes() []callbackRoute {
	return []callbackRoute{
		{Prefix: "m", Name: "menu", Handle: b.onMenuButton},
		{Prefix: "l", Name: "lang", Handle: b.onLangButton},
		{Prefix: "c", Name: "cost", Handle: b.onCostButton},
		{Prefix: "sv", Name: "service", Handle: b.onServiceButton},
		{Prefix: "b", Name: "bill", Handle: b.onBillButton},
		{Prefix: "ch", Name: "chart", Handle: b.onChartButton},
		{Prefix: "ac", Name: "account", Handle: b.onAccountButton},
		{Prefix: "ls", Name: "lightsail", Handle: b.onLightsailButton},
		{Prefix: "la", Name: "lightsail_ask", Admin: true, Handle: b.onAskButton},
		{Prefix: "lc", Name: "lightsail_confirm", Admin: true, Handle: b.onConfirmButton},
		{Prefix: "lk", Name: "lightsail_cancel", Admin: true, Handle: b.onCancelButton},
	}
}

func indexRoutes(table []callbackRoute) map[string]callbackRoute {
	byPrefix := make(map[string]callbackRoute, len(table))
	for _, r := range table {
		if _, dup := byPrefix[r.Prefix]; dup || r.Prefix == "" || strings.Contains(r.Prefix, ":") {
			panic("bot: bad or repeated callback prefix " + r.Prefix)
		}
		byPrefix[r.Prefix] = r
	}
	return byPrefix
}

// callbackData encodes a button's data. Anything that may not fit belongs server-side
// (see pending); a payload too long is a programming error.
func callbackData(prefix, payload string) string {
	data := prefix + ":" + payload
	if len(data) > maxCallbackData {
		panic("bot: callback data over 64 bytes: " + data)
	}
	return data
}

func button(text, prefix, payload string) models.InlineKeyboardButton {
	return models.InlineKeyboardButton{Text: text, CallbackData: callbackData(prefix, payload)}
}

// onCallback answers the callback query first, as Telegram asks, then acts.
func (b *Bot) onCallback(ctx context.Context, u *models.Update) {
	q := u.CallbackQuery
	r := b.newRequest(ctx, u)
	prefix, payload, _ := decodeCallback(q.Data) // "" when malformed: no route has it
	route, ok := b.routes[prefix]
	switch {
	case !ok:
		b.answer(ctx, q.ID, r.tr.T(msgID{"callback.expired"}), false)
		return
	case route.Admin && !b.mayDestroy(r):
		b.answer(ctx, q.ID, stripTags(r.tr.T(msgID{"access.admin_only"}, map[string]any{"UserID": r.UserID})), true)
		return
	}
	b.answer(ctx, q.ID, "", false)
	if err := route.Handle(ctx, r, payload); err != nil {
		b.fail(ctx, r, "button:"+route.Name, err)
	}
}

// answer answers a callback query; text, if any, shows as a toast or, with alert, a
// dialog the user must close.
func (b *Bot) answer(ctx context.Context, id, text string, alert bool) {
	_, err := b.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id, Text: truncate(text, 200), ShowAlert: alert})
	if err != nil {
		b.log.Warn("could not answer a callback query", "error", err)
	}
}

func (b *Bot) onLangButton(ctx context.Context, r *Request, lang string) error {
	if _, ok := langNames[lang]; !ok {
		return nil // a button from an older version; the press was answered
	}
	if err := b.setLang(ctx, r, lang); err != nil {
		return err
	}
	text, markup, err := b.showHome(ctx, r)
	if err != nil {
		return err
	}
	text = r.tr.T(msgID{"lang.changed"}, map[string]any{"Name": langNames[lang]}) + "\n\n" + text
	return b.edit(ctx, r.ChatID, r.MessageID, text, markup)
}

func langKeyboard(tr translator) *models.InlineKeyboardMarkup {
	var row []models.InlineKeyboardButton
	for _, l := range languages {
		label := langNames[l]
		if l == tr.lang {
			label = "✓ " + label
		}
		row = append(row, button(label, "l", l))
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{row, {backButton(tr)}}}
}

// pending keeps what a button stands for server-side, behind a short random key: data
// that would not fit in 64 bytes, or a confirmation that must expire and work once.
type pending struct {
	mu    sync.Mutex
	items map[string]pendingItem
	now   func() time.Time
}

type pendingItem struct {
	value   any
	expires time.Time
}

func newPending(now func() time.Time) *pending {
	return &pending{items: map[string]pendingItem{}, now: now}
}

// put stores value for ttl and returns its key (13 characters).
func (p *pending) put(value any, ttl time.Duration) string {
	var raw [8]byte
	rand.Read(raw[:])
	key := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for k, it := range p.items {
		if !now.Before(it.expires) {
			delete(p.items, k)
		}
	}
	p.items[key] = pendingItem{value: value, expires: now.Add(ttl)}
	return key
}

// takeIf is take for a value pass accepts; a value it refuses stays, and is returned
// with ok false.
func (p *pending) takeIf(key string, pass func(any) bool) (any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	it, ok := p.items[key]
	if !ok || !p.now().Before(it.expires) {
		delete(p.items, key)
		return nil, false
	}
	if !pass(it.value) {
		return it.value, false
	}
	delete(p.items, key)
	return it.value, true
}

// update replaces the value behind key, keeping its expiry, if it is still there.
func (p *pending) update(key string, fn func(any) any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if it, ok := p.items[key]; ok {
		it.value = fn(it.value)
		p.items[key] = it
	}
}

// take returns the value once; a second take, or one after expiry, finds nothing.
func (p *pending) take(key string) (any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	it, ok := p.items[key]
	delete(p.items, key)
	if !ok || !p.now().Before(it.expires) {
		return nil, false
	}
	return it.value, true
}
