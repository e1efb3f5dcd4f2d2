package bot

import (
	"context"
	"fmt"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	costmodels "costbot/models"
)

// Command is one row of the command table.
type Command struct {
	Name   string // without the slash; lowercase a-z, 0-9, _
	Help   msgID  // one line for /help and the Telegram command menu
	Admin  bool   // destructive: only TELEGRAM_ADMIN_IDS may run it, in any chat
	Handle func(ctx context.Context, r *Request) error
}

// commandTable lists every command in /help order. A new command is a new row.
func (b *Bot) commandTable() []Command {
	return []Command{
		{Name: "start", Help: msgID{"help.start"}, Handle: b.cmdStart},
		{Name: "help", Help: msgID{"help.help"}, Handle: b.cmdHelp},
		{Name: "cost", Help: msgID{"help.cost"}, Handle: b.cmdCost},
		{Name: "service", Help: msgID{"help.service"}, Handle: b.cmdService},
		{Name: "bill", Help: msgID{"help.bill"}, Handle: b.cmdBill},
		{Name: "chart", Help: msgID{"help.chart"}, Handle: b.cmdChart},
		{Name: "account", Help: msgID{"help.account"}, Handle: b.cmdAccount},
		{Name: "collect", Help: msgID{"help.collect"}, Admin: true, Handle: b.cmdCollect},
		{Name: "lightsail", Help: msgID{"help.lightsail"}, Handle: b.cmdLightsail},
		{Name: "stop", Help: msgID{"help.stop"}, Admin: true, Handle: b.cmdStop},
		{Name: "boot", Help: msgID{"help.boot"}, Admin: true, Handle: b.cmdBoot},
		{Name: "report", Help: msgID{"help.report"}, Handle: b.cmdReport},
		{Name: "status", Help: msgID{"help.status"}, Handle: b.cmdStatus},
		{Name: "lang", Help: msgID{"help.lang"}, Handle: b.cmdLang},
		{Name: "web", Help: msgID{"help.web"}, Handle: b.cmdWeb},
	}
}

func indexCommands(table []Command) (map[string]Command, []Command) {
	byName := make(map[string]Command, len(table))
	for _, c := range table {
		if _, dup := byName[c.Name]; dup {
			panic("bot: command /" + c.Name + " is in the table twice")
		}
		byName[c.Name] = c
	}
	return byName, table
}

// Request is one authorised command or button press.
type Request struct {
	UpdateID  int64
	ChatID    int64
	UserID    int64
	Private   bool
	MessageID int    // the message the button is on (button presses)
	Args      string // text after the command
	tr        translator
}

func (b *Bot) newRequest(ctx context.Context, u *models.Update) *Request {
	info := describe(u)
	return &Request{
		UpdateID:  u.ID,
		ChatID:    info.chatID,
		UserID:    info.userID,
		Private:   info.private,
		MessageID: info.messageID,
		tr:        b.chatTranslator(ctx, info.chatID),
	}
}

// chatTranslator speaks the chat's stored language, else BOT_LANG.
func (b *Bot) chatTranslator(ctx context.Context, chatID int64) translator {
	lang, err := b.deps.Store.ChatLang(ctx, chatID)
	if err != nil {
		b.log.Warn("could not read the chat language", "chat_id", chatID, "error", err)
	}
	if lang == "" {
		lang = b.cfg.Lang
	}
	return b.catalog.translator(lang)
}

// mayDestroy reports whether the request may run a destructive action (stop, start):
// only users in TELEGRAM_ADMIN_IDS, in a group as in a private chat.
func (b *Bot) mayDestroy(r *Request) bool { return b.cfg.IsAdmin(r.UserID) }

// parseCommand splits "/name@target args" into its parts. Like Telegram, it takes only
// ASCII letters, digits and _ for a name ("/path/to/file" is not a command), and
// lowercases it.
func parseCommand(text string) (name, target, args string, ok bool) {
	if !strings.HasPrefix(text, "/") || len(text) < 2 {
		return "", "", "", false
	}
	head, args, _ := strings.Cut(text[1:], " ")
	if i := strings.IndexAny(head, "\n\t"); i >= 0 {
		args = head[i+1:] + " " + args
		head = head[:i]
	}
	name, target, _ = strings.Cut(head, "@")
	if !isCommandName(name) {
		return "", "", "", false
	}
	return strings.ToLower(name), target, strings.TrimSpace(args), true
}

// isCommandName reports whether s is a command name as Telegram marks one: [A-Za-z0-9_]+.
func isCommandName(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

// route is the handler behind every middleware: commands, text and button presses.
func (b *Bot) route(ctx context.Context, _ *tgbot.Bot, u *models.Update) {
	switch {
	case u.Message != nil:
		b.onMessage(ctx, u)
	case u.CallbackQuery != nil:
		b.onCallback(ctx, u)
	}
	// Edited messages are not acted on: a command edited after the fact would run twice.
}

func (b *Bot) onMessage(ctx context.Context, u *models.Update) {
	name, target, args, isCmd := parseCommand(u.Message.Text)
	if isCmd && target != "" && !b.addressedToMe(target) {
		return
	}
	r := b.newRequest(ctx, u)
	r.Args = args
	if !isCmd {
		// In a group, chatter is not for the bot.
		if r.Private {
			b.reply(ctx, r, r.tr.T(msgID{"unknown.pointer"}), nil)
		}
		return
	}
	cmd, ok := b.commands[name]
	if !ok {
		b.reply(ctx, r, r.tr.T(msgID{"unknown.pointer"}), nil)
		return
	}
	if cmd.Admin && !b.mayDestroy(r) {
		b.reply(ctx, r, r.tr.T(msgID{"access.admin_only"}, map[string]any{"UserID": r.UserID}), nil)
		return
	}
	if err := cmd.Handle(ctx, r); err != nil {
		b.fail(ctx, r, name, err)
	}
}

func (b *Bot) addressedToMe(target string) bool {
	me := b.username.Load()
	return me == nil || strings.EqualFold(target, *me)
}

// reply sends to the request's chat and logs a failure: there is nobody else to tell.
func (b *Bot) reply(ctx context.Context, r *Request, html string, markup *models.InlineKeyboardMarkup) {
	if _, err := b.send(ctx, r.ChatID, html, markup); err != nil {
		b.log.Warn("reply failed", "update_id", r.UpdateID, "chat_id", r.ChatID, "error", err)
	}
}

// fail logs a handler error with its full chain and tells the user only that
// something went wrong.
func (b *Bot) fail(ctx context.Context, r *Request, command string, err error) {
	b.metrics.errors.WithLabelValues(command).Inc()
	b.log.Error("handler failed", "update_id", r.UpdateID, "chat_id", r.ChatID, "command", command, "error", err)
	b.replyInternalError(ctx, r.ChatID, r.tr)
}

func (b *Bot) replyInternalError(ctx context.Context, chatID int64, tr translator) {
	if _, err := b.send(ctx, chatID, tr.T(msgID{"error.internal"}), nil); err != nil {
		b.log.Warn("could not report an internal error", "chat_id", chatID, "error", err)
	}
}

func (b *Bot) cmdStart(ctx context.Context, r *Request) error {
	text, markup, err := b.showHome(ctx, r)
	if err != nil {
		return err
	}
	_, err = b.send(ctx, r.ChatID, text, markup)
	return err
}

func (b *Bot) cmdHelp(ctx context.Context, r *Request) error {
	_, err := b.send(ctx, r.ChatID, renderHelp(r.tr, b.order), nil)
	return err
}

func (b *Bot) cmdStatus(ctx context.Context, r *Request) error {
	text, err := b.statusText(ctx, r)
	if err != nil {
		return err
	}
	_, err = b.send(ctx, r.ChatID, text, nil)
	return err
}

func (b *Bot) cmdLang(ctx context.Context, r *Request) error {
	lang := strings.ToLower(strings.TrimSpace(r.Args))
	if _, ok := langNames[lang]; !ok {
		text := r.tr.T(msgID{"lang.usage"}, map[string]any{"Valid": strings.Join(languages, "|"), "Current": langNames[r.tr.lang]})
		_, err := b.send(ctx, r.ChatID, text, langKeyboard(r.tr))
		return err
	}
	if err := b.setLang(ctx, r, lang); err != nil {
		return err
	}
	_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"lang.changed"}, map[string]any{"Name": langNames[lang]}), nil)
	return err
}

// setLang stores the chat's language and switches the request to it at once.
func (b *Bot) setLang(ctx context.Context, r *Request, lang string) error {
	if err := b.deps.Store.SetChatLang(ctx, r.ChatID, lang); err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	r.tr = b.catalog.translator(lang)
	return nil
}

func (b *Bot) statusText(ctx context.Context, r *Request) (string, error) {
	st, err := b.figures.Status(ctx, b.cfg.ChatAccounts.Of(r.ChatID))
	if err != nil {
		return "", err
	}
	v := statusView{
		Version:    b.deps.Version,
		Uptime:     b.now().Sub(b.deps.StartedAt),
		DBBytes:    b.deps.Store.SizeBytes(),
		TZ:         b.cfg.ReportTZ,
		LastFailed: map[string]costmodels.JobRun{},
		Accounts:   st.Accounts,
	}
	for _, j := range st.Jobs {
		v.Runs = append(v.Runs, j.Run)
		if j.LastFailed != nil {
			v.LastFailed[j.Run.Job] = *j.LastFailed
		}
	}
	if b.deps.Schedule != nil {
		v.Next = b.deps.Schedule.NextRuns()
	}
	if b.deps.Leader != nil {
		v.Leader = &leaderView{}
		v.Leader.Host, v.Leader.PID, v.Leader.Since, v.Leader.OK, v.Leader.Err = b.deps.Leader.Leader(ctx)
	}
	if v.Billing, err = b.billingStatus(ctx); err != nil {
		return "", err
	}
	return renderStatus(r.tr, v), nil
}
