// Package bot is costbot's Telegram interface: long polling, commands, buttons,
// HTML rendering, i18n and the middleware every update passes (access control, panic
// recovery, logging, metrics).
//
// Commands, main-menu buttons and callback routes are tables (commands.go, menu.go,
// callbacks.go); a new feature adds a row and a handler.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus"

	"costbot/config"
	"costbot/figures"
	costmodels "costbot/models"
)

const (
	// pollTimeout is how long one getUpdates request may be held by Telegram.
	pollTimeout = time.Minute
	// shutdownGrace bounds how long Run waits for handlers still running at shutdown.
	shutdownGrace = 10 * time.Second
	// handlerTimeout bounds one update's handling.
	handlerTimeout = 2 * time.Minute
	// refusalEvery is how often a stranger's chat may get the refusal message.
	refusalEvery = 10 * time.Minute
	// workers is how many updates are handled at once.
	workers = 4
)

// Deps is what the bot needs from the rest of costbot.
type Deps struct {
	Store     Store
	Version   string
	StartedAt time.Time
	Logger    *slog.Logger          // nil: slog.Default()
	Now       func() time.Time      // nil: time.Now
	Metrics   prometheus.Registerer // nil: counters are kept but not exported
	Schedule  JobSchedule           // the scheduler, for /status's next runs; nil: not shown
	Collector CollectNower          // runs a cost scan for /collect; nil: not available
	Lightsail LightsailController   // stops and starts instances for /stop and /boot; nil: not available
	Web       WebAccess             // the dashboard's sign-in links for /web; nil: not available
	Leader    LeaderInfo            // which replica leads, for /status; nil: one daemon, not shown
}

// LeaderInfo tells which of several replicas on one database leads (ok false: none
// right now, between a leader's death and the takeover).
type LeaderInfo interface {
	Leader(ctx context.Context) (host string, pid int, since time.Time, ok bool, err error)
}

// JobSchedule tells when each scheduled job runs next.
type JobSchedule interface {
	NextRuns() map[string]time.Time
}

// Store is what the bot reads and writes besides the figures, which it reads through
// figures: the chats' languages and accounts, the accounts, the Lightsail rows an action
// checks, Cost Explorer's state for /status, and the database's health and size.
type Store interface {
	figures.Store
	ChatLang(ctx context.Context, chatID int64) (string, error)
	SetChatLang(ctx context.Context, chatID int64, lang string) error
	ChatAccount(ctx context.Context, chatID int64) (string, error)
	SetChatAccount(ctx context.Context, chatID int64, account string) error
	UnblockChat(ctx context.Context, chatID int64) (bool, error)
	BillingStatusOf(ctx context.Context) (costmodels.BillingStatus, bool, error)
	CostExplorerRequests(ctx context.Context, from, to time.Time) (int, error)
	Ping(ctx context.Context) error
	SizeBytes() int64
}

// Bot is the running Telegram bot.
type Bot struct {
	cfg      *config.Config
	deps     Deps
	api      *tgbot.Bot
	client   tgbot.HttpClient
	log      *slog.Logger
	now      func() time.Time
	catalog  *catalog
	figures  *figures.Reader // every figure a chat sees comes from here
	metrics  *metrics
	commands map[string]Command
	order    []Command // commands in help order
	routes   map[string]callbackRoute
	refusals *refusalLimiter
	pending  *pending // server-side button data, for routes that need it
	collects *collectRuns

	username atomic.Pointer[string] // the bot's @username, once getMe answered

	grace    time.Duration // shutdownGrace; shorter in tests
	running  atomic.Bool
	lastPoll atomic.Int64 // unix nanoseconds of the last successful getUpdates

	// work is the context handlers run under: it outlives the polling context so a
	// handler in flight at shutdown can finish, and is cancelled when the grace ends.
	work       context.Context
	cancelWork context.CancelFunc

	handledMu  sync.Mutex
	maxHandled int64 // highest update ID handled, confirmed to Telegram at shutdown
}

// New builds the bot. It makes no network call; Run does. opts are appended to the
// bot's own go-telegram/bot options, so tests can add or override them.
func New(cfg *config.Config, deps Deps, opts ...tgbot.Option) (*Bot, error) {
	if err := cfg.RequireTelegram(); err != nil {
		return nil, err
	}
	if deps.Store == nil {
		return nil, errors.New("bot: a store is required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.StartedAt.IsZero() {
		deps.StartedAt = deps.Now()
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.Default()
	}
	// Whatever handler the caller chose, this bot's lines go through redaction.
	logger = slog.New(NewRedactingHandler(logger.Handler(), cfg.TelegramToken))

	cat, err := newCatalog()
	if err != nil {
		return nil, err
	}
	b := &Bot{
		cfg:      cfg,
		deps:     deps,
		log:      logger.With("component", "bot"),
		now:      deps.Now,
		catalog:  cat,
		figures:  figures.New(deps.Store, cfg),
		metrics:  newMetrics(),
		refusals: newRefusalLimiter(refusalEvery, deps.Now),
		pending:  newPending(deps.Now),
		collects: newCollectRuns(),
		grace:    shutdownGrace,
	}
	b.work, b.cancelWork = context.WithCancel(context.Background())
	if deps.Metrics != nil {
		if err := b.metrics.register(deps.Metrics); err != nil {
			return nil, fmt.Errorf("bot: register metrics: %w", err)
		}
	}
	b.commands, b.order = indexCommands(b.commandTable())
	b.routes = indexRoutes(b.callbackRoutes())
	// Known labels start at zero, so rate() sees a command's first error.
	for _, c := range b.order {
		b.metrics.errors.WithLabelValues(c.Name)
	}
	for _, r := range b.routes {
		b.metrics.errors.WithLabelValues("button:" + r.Name)
	}

	b.client = &pollObserver{
		next:   &http.Client{Timeout: pollTimeout + 15*time.Second},
		onPoll: func() { b.lastPoll.Store(b.now().UnixNano()) },
	}
	options := []tgbot.Option{
		tgbot.WithServerURL(cfg.TelegramAPIURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(pollTimeout, b.client),
		tgbot.WithAllowedUpdates(tgbot.AllowedUpdates{
			models.AllowedUpdateMessage, models.AllowedUpdateEditedMessage, models.AllowedUpdateCallbackQuery,
		}),
		// Handlers run in the library's workers, so Start returns only after they finish.
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithWorkers(workers),
		tgbot.WithDefaultHandler(b.route),
		tgbot.WithMiddlewares(b.detach, b.logUpdates, b.recoverPanics, b.allowOnly),
		tgbot.WithErrorsHandler(func(err error) {
			b.metrics.apiErrors.Inc()
			if errors.Is(err, tgbot.ErrorConflict) {
				b.log.Error("Telegram answered 409 Conflict: another process polls this bot token (a costbot on another DB_PATH, or another program); stop all but one", "error", err)
				return
			}
			b.log.Warn("telegram client error", "error", err)
		}),
		tgbot.WithDebugHandler(func(format string, args ...any) {
			b.log.Debug(fmt.Sprintf(format, args...))
		}),
	}
	api, err := tgbot.New(cfg.TelegramToken, append(options, opts...)...)
	if err != nil {
		return nil, redactErr(fmt.Errorf("bot: %w", err), cfg.TelegramToken)
	}
	b.api = api
	return b, nil
}

// Run registers the command menu, then polls until ctx is done, then lets running
// handlers finish (at most shutdownGrace) and returns. It fails only when Telegram
// rejects the token.
func (b *Bot) Run(ctx context.Context) error {
	defer b.cancelWork()
	if me, err := b.api.GetMe(ctx); err != nil {
		if errors.Is(err, tgbot.ErrorUnauthorized) {
			return redactErr(fmt.Errorf("bot: telegram rejected TELEGRAM_BOT_TOKEN: %w", err), b.cfg.TelegramToken)
		}
		b.log.Warn("getMe failed; commands addressed to @other bots cannot be told apart", "error", err)
	} else {
		name := me.Username
		b.username.Store(&name)
	}
	if err := b.registerCommands(ctx); err != nil {
		if errors.Is(err, tgbot.ErrorUnauthorized) {
			return redactErr(fmt.Errorf("bot: telegram rejected TELEGRAM_BOT_TOKEN: %w", err), b.cfg.TelegramToken)
		}
		b.log.Warn("setMyCommands failed; the command menu may be stale", "error", err)
	}
	if err := b.setMenuButton(ctx); err != nil {
		b.log.Warn("setChatMenuButton failed; the dashboard is not in the menu", "error", err)
	}

	b.lastPoll.Store(b.now().UnixNano())
	b.running.Store(true)
	defer b.running.Store(false)
	b.log.Info("polling started", "api", b.cfg.TelegramAPIURL)

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		b.api.Start(ctx)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		b.running.Store(false)
		select {
		case <-stopped:
		case <-time.After(b.grace):
			b.log.Warn("handlers still running after the shutdown grace; cancelling them")
			b.cancelWork()
			select {
			case <-stopped:
			case <-time.After(b.grace):
				b.log.Error("a handler ignores cancellation; returning without it")
				return nil
			}
		}
	}
	if !b.waitCollects(b.grace) {
		b.log.Error("a /collect scan ignores cancellation; returning without it")
	}
	b.confirmHandled()
	b.log.Info("polling stopped")
	return nil
}

// registerCommands sets the command menu for zh, en and the default (BOT_LANG).
func (b *Bot) registerCommands(ctx context.Context) error {
	for _, lang := range append(append([]string{}, languages...), "") {
		tr := b.catalog.translator(lang)
		if lang == "" {
			tr = b.catalog.translator(b.cfg.Lang)
		}
		var cmds []models.BotCommand
		for _, c := range b.order {
			desc := tr.T(c.Help)
			if c.Admin {
				desc += " " + tr.T(msgID{"help.admin_only"})
			}
			cmds = append(cmds, models.BotCommand{Command: c.Name, Description: stripTags(desc)})
		}
		if _, err := b.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, LanguageCode: lang}); err != nil {
			return fmt.Errorf("set commands (%q): %w", lang, err)
		}
	}
	return nil
}

// confirmHandled tells Telegram, with a last non-blocking getUpdates, that every
// update handled so far is done, so a restart does not handle them again.
func (b *Bot) confirmHandled() {
	b.handledMu.Lock()
	last := b.maxHandled
	b.handledMu.Unlock()
	if last == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	form := url.Values{"offset": {strconv.FormatInt(last+1, 10)}, "limit": {"1"}, "timeout": {"0"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.cfg.TelegramAPIURL+"/bot"+b.cfg.TelegramToken+"/getUpdates", strings.NewReader(form.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var resp *http.Response
		if resp, err = b.client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("getUpdates answered %s", resp.Status)
			}
		}
	}
	if err != nil {
		b.log.Warn("could not confirm handled updates; they may be handled again after a restart", "error", err)
	}
}

func (b *Bot) noteHandled(updateID int64) {
	b.handledMu.Lock()
	b.maxHandled = max(b.maxHandled, updateID)
	b.handledMu.Unlock()
}

// Alive reports whether polling runs and a getUpdates round succeeded recently
// (within two poll timeouts), for /healthz.
func (b *Bot) Alive() bool {
	if !b.running.Load() {
		return false
	}
	last := time.Unix(0, b.lastPoll.Load())
	return b.now().Sub(last) < 2*pollTimeout
}

// Health is Alive plus a database ping, for /healthz.
func (b *Bot) Health(ctx context.Context) error {
	if !b.Alive() {
		return errors.New("telegram polling is not running or not answered recently")
	}
	if err := b.deps.Store.Ping(ctx); err != nil {
		return fmt.Errorf("database: %s", Redact(err.Error(), b.cfg.TelegramToken))
	}
	return nil
}

// send returns the ID of the last message sent.
func (b *Bot) send(ctx context.Context, chatID int64, html string, markup *models.InlineKeyboardMarkup) (int, error) {
	parts := splitHTML(html, maxMessageLen)
	var lastID int
	for i, part := range parts {
		params := &tgbot.SendMessageParams{
			ChatID:             chatID,
			Text:               part,
			ParseMode:          models.ParseModeHTML,
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
		}
		if i == len(parts)-1 && markup != nil {
			params.ReplyMarkup = markup
		}
		msg, err := b.api.SendMessage(ctx, params)
		if err != nil {
			return lastID, redactErr(fmt.Errorf("send to chat %d: %w", chatID, err), b.cfg.TelegramToken)
		}
		lastID = msg.ID
	}
	return lastID, nil
}

// edit replaces a message's text and keyboard; when the text is too long for one
// message or the message cannot be edited, it sends a new one instead.
func (b *Bot) edit(ctx context.Context, chatID int64, messageID int, html string, markup *models.InlineKeyboardMarkup) error {
	if messageID == 0 || utf16Len(html) > maxMessageLen {
		_, err := b.send(ctx, chatID, html, markup)
		return err
	}
	params := &tgbot.EditMessageTextParams{
		ChatID:             chatID,
		MessageID:          messageID,
		Text:               html,
		ParseMode:          models.ParseModeHTML,
		LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
	}
	if markup != nil {
		params.ReplyMarkup = markup
	}
	_, err := b.api.EditMessageText(ctx, params)
	switch {
	case err == nil:
		return nil
	case strings.Contains(err.Error(), "message is not modified"):
		return nil
	case errors.Is(err, tgbot.ErrorBadRequest):
		// too old to edit, deleted, ...: say it anew
		_, err = b.send(ctx, chatID, html, markup)
		return err
	default:
		return redactErr(fmt.Errorf("edit message %d in chat %d: %w", messageID, chatID, err), b.cfg.TelegramToken)
	}
}

// GetMe asks Telegram who the token belongs to, for `costbot doctor`.
func GetMe(ctx context.Context, cfg *config.Config) (string, error) {
	api, err := tgbot.New(cfg.TelegramToken,
		tgbot.WithServerURL(cfg.TelegramAPIURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(error) {}),
	)
	if err != nil {
		return "", redactErr(fmt.Errorf("telegram: %w", err), cfg.TelegramToken)
	}
	me, err := api.GetMe(ctx)
	if errors.Is(err, tgbot.ErrorUnauthorized) {
		return "", redactErr(fmt.Errorf("telegram: TELEGRAM_BOT_TOKEN was rejected: %w", err), cfg.TelegramToken)
	}
	if err != nil {
		return "", redactErr(fmt.Errorf("telegram: getMe via %s: %w", cfg.TelegramAPIURL, err), cfg.TelegramToken)
	}
	return me.Username, nil
}

// pollObserver notes each successful getUpdates round, which is what Alive reports.
type pollObserver struct {
	next   tgbot.HttpClient
	onPoll func()
}

func (p *pollObserver) Do(req *http.Request) (*http.Response, error) {
	resp, err := p.next.Do(req)
	if err == nil && resp.StatusCode == http.StatusOK && strings.HasSuffix(req.URL.Path, "/getUpdates") {
		p.onPoll()
	}
	return resp, err
}
