package bot

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// updateInfo is what middleware needs to know about an update, whatever its kind.
type updateInfo struct {
	kind       string // message, edited_message, callback_query, other
	chatID     int64
	hasChat    bool
	private    bool
	userID     int64
	userLang   string // the user's Telegram client language
	messageID  int
	text       string // message text, or callback data
	callbackID string
}

func describe(u *models.Update) updateInfo {
	fromMessage := func(kind string, m *models.Message) updateInfo {
		info := updateInfo{kind: kind, chatID: m.Chat.ID, hasChat: true, private: m.Chat.Type == models.ChatTypePrivate, messageID: m.ID, text: m.Text}
		if m.From != nil {
			info.userID, info.userLang = m.From.ID, m.From.LanguageCode
		}
		return info
	}
	switch {
	case u.Message != nil:
		return fromMessage("message", u.Message)
	case u.EditedMessage != nil:
		return fromMessage("edited_message", u.EditedMessage)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		info := updateInfo{kind: "callback_query", userID: q.From.ID, userLang: q.From.LanguageCode, text: q.Data, callbackID: q.ID}
		switch {
		case q.Message.Message != nil:
			m := q.Message.Message
			info.chatID, info.hasChat, info.messageID = m.Chat.ID, true, m.ID
			info.private = m.Chat.Type == models.ChatTypePrivate
		case q.Message.InaccessibleMessage != nil:
			m := q.Message.InaccessibleMessage
			info.chatID, info.hasChat, info.messageID = m.Chat.ID, true, m.MessageID
			info.private = m.Chat.Type == models.ChatTypePrivate
		}
		return info
	}
	return updateInfo{kind: "other"}
}

// label names the command or route an update is for, for logs and metrics: only names
// from the tables, "unknown", "text" or "-", never what the user typed.
func (b *Bot) label(info updateInfo) string {
	switch info.kind {
	case "message", "edited_message":
		name, _, _, isCmd := parseCommand(info.text)
		if !isCmd {
			return "text"
		}
		if _, ok := b.commands[name]; ok {
			return name
		}
		return "unknown"
	case "callback_query":
		prefix, _, _ := decodeCallback(info.text)
		if r, ok := b.routes[prefix]; ok {
			return "button:" + r.Name
		}
		return "button:unknown"
	}
	return "-"
}

// detach runs the update under the bot's work context instead of the polling context,
// so cancelling polling lets a handler in flight finish; Run cancels work when the
// shutdown grace ends.
func (b *Bot) detach(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(_ context.Context, api *tgbot.Bot, u *models.Update) {
		ctx, cancel := context.WithTimeout(b.work, handlerTimeout)
		defer cancel()
		next(ctx, api, u)
		b.noteHandled(u.ID)
	}
}

// logUpdates logs one line per update and counts it.
func (b *Bot) logUpdates(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
		start := time.Now()
		info := describe(u)
		command := b.label(info)
		next(ctx, api, u)
		b.metrics.updates.WithLabelValues(info.kind, command).Inc()
		b.log.Info("update",
			"update_id", u.ID, "kind", info.kind, "chat_id", info.chatID, "user_id", info.userID,
			"command", command, "duration", time.Since(start).Round(time.Microsecond))
	}
}

// recoverPanics turns a handler panic into a log line, a count and a short
// "internal error" reply.
func (b *Bot) recoverPanics(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			info := describe(u)
			command := b.label(info)
			b.metrics.errors.WithLabelValues(command).Inc()
			b.log.Error("handler panicked", "update_id", u.ID, "chat_id", info.chatID, "command", command,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if info.hasChat && b.cfg.IsAllowedChat(info.chatID) {
				b.replyInternalError(ctx, info.chatID, b.chatTranslator(ctx, info.chatID))
			}
		}()
		next(ctx, api, u)
	}
}

// allowOnly lets through updates from chats in TELEGRAM_CHAT_IDS. Anyone else gets one
// short refusal with their own IDs, at most once per chat per refusalEvery; a button
// press is answered with an alert and nothing else happens.
func (b *Bot) allowOnly(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
		info := describe(u)
		if info.hasChat && b.cfg.IsAllowedChat(info.chatID) {
			if info.kind == "message" || info.kind == "callback_query" {
				// Pushes to a chat that blocked the bot stop; writing to it again resumes them.
				if was, err := b.deps.Store.UnblockChat(ctx, info.chatID); err != nil {
					b.log.Warn("could not clear the chat's blocked mark", "chat_id", info.chatID, "error", err)
				} else if was {
					b.log.Info("chat unblocked the bot; pushes resume", "chat_id", info.chatID)
				}
			}
			next(ctx, api, u)
			return
		}
		if info.kind == "other" {
			return
		}
		b.metrics.refusals.Inc()
		tr := b.catalog.translator(b.strangerLang(info.userLang))
		chat := "-"
		if info.hasChat {
			chat = fmt.Sprint(info.chatID)
		}
		refusal := tr.T(msgID{"access.refused"}, map[string]any{"UserID": info.userID, "ChatID": chat})
		b.log.Info("refused an update from a chat not allowed", "update_id", u.ID, "kind", info.kind, "chat_id", info.chatID, "user_id", info.userID)
		switch info.kind {
		case "callback_query":
			b.answer(ctx, info.callbackID, stripTags(refusal), true)
		case "message", "edited_message":
			if info.hasChat && b.refusals.allow(info.chatID) {
				if _, err := b.send(ctx, info.chatID, refusal, nil); err != nil {
					b.log.Warn("could not send the refusal", "chat_id", info.chatID, "error", err)
				}
			}
		}
	}
}

// strangerLang is the language for someone with no stored preference: their client's,
// when the bot speaks it, else BOT_LANG.
func (b *Bot) strangerLang(clientLang string) string {
	for _, l := range languages {
		if strings.HasPrefix(strings.ToLower(clientLang), l) {
			return l
		}
	}
	return b.cfg.Lang
}

// refusalLimiter remembers when each chat was last refused.
type refusalLimiter struct {
	mu    sync.Mutex
	last  map[int64]time.Time
	every time.Duration
	now   func() time.Time
}

func newRefusalLimiter(every time.Duration, now func() time.Time) *refusalLimiter {
	return &refusalLimiter{last: map[int64]time.Time{}, every: every, now: now}
}

// allow reports whether the chat may be refused now, and if so notes it.
func (l *refusalLimiter) allow(chatID int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if last, ok := l.last[chatID]; ok && now.Sub(last) < l.every {
		return false
	}
	if len(l.last) >= 1000 {
		for id, t := range l.last {
			if now.Sub(t) >= l.every {
				delete(l.last, id)
			}
		}
	}
	l.last[chatID] = now
	return true
}
