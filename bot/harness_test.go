package bot

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/prometheus/client_golang/prometheus"

	"costbot/config"
	"costbot/internal/tgtest"
	costmodels "costbot/models"
)

const (
	ownerID    = 1001    // allowed private chat; also the only admin
	groupID    = -100500 // allowed group
	memberID   = 2002    // a group member who is not an admin
	strangerID = 666     // a user in no allowed chat
	strangerGr = -777    // a group that is not allowed
	wait       = 5 * time.Second
)

// fakeClock is the injected clock; tests move it by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logBuffer collects log output and lets a test await a line.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) waitFor(t *testing.T, substr string) {
	t.Helper()
	deadline := time.After(wait)
	for {
		l.mu.Lock()
		found := strings.Contains(l.buf.String(), substr)
		changed := l.changed
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no log line with %q; logs:\n%s", substr, l.String())
		}
	}
}

type harness struct {
	t     *testing.T
	srv   *tgtest.Server
	cfg   *config.Config
	bot   *Bot
	store *costmodels.Store
	clock *fakeClock
	logs  *logBuffer
	reg   *prometheus.Registry

	cancel context.CancelFunc
	done   chan error
}

func testConfig(t *testing.T, srv *tgtest.Server, extra map[string]string) *config.Config {
	t.Helper()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(),
		"TELEGRAM_API_URL":   srv.URL(),
		"TELEGRAM_CHAT_IDS":  "1001,-100500",
		"TELEGRAM_ADMIN_IDS": "1001",
		"BOT_LANG":           "zh",
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newHarness builds a bot against a fake Telegram with a real SQLite store. One worker
// handles updates in order, so a reply to a later message proves an earlier one was
// handled.
func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, nil, nil)
}

// newHarnessWith is newHarness with extra settings, and deps changed by more (if not nil)
// before the bot is built.
func newHarnessWith(t *testing.T, env map[string]string, more func(*Deps)) *harness {
	t.Helper()
	srv := tgtest.New(t)
	store, err := costmodels.Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := &harness{
		t:     t,
		srv:   srv,
		cfg:   testConfig(t, srv, env),
		store: store,
		clock: &fakeClock{now: time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)},
		logs:  newLogBuffer(),
		reg:   NewMetricsRegistry(),
	}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	deps := Deps{
		Store:     store,
		Version:   "v1.2.3-test",
		StartedAt: h.clock.Now().Add(-(26*time.Hour + 5*time.Minute)),
		Logger:    logger,
		Now:       h.clock.Now,
		Metrics:   h.reg,
	}
	if more != nil {
		more(&deps)
	}
	h.bot, err = New(h.cfg, deps, tgbot.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// start runs the bot and waits until it polls.
func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.bot.Run(ctx) }()
	h.t.Cleanup(func() { h.stop() })
	h.srv.WaitCall(h.t, "getUpdates", nil, wait)
}

// stop cancels Run and waits for it to return.
func (h *harness) stop() error {
	h.t.Helper()
	if h.cancel == nil {
		return nil
	}
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err // later calls see it too
		return err
	case <-time.After(wait):
		h.t.Fatal("Run did not return after its context was cancelled")
		return nil
	}
}

// tr is how the bot speaks lang, to compare replies with the catalogs.
func (h *harness) tr(lang string) translator { return h.bot.catalog.translator(lang) }

// say plays userID writing text in chatID and returns the bot's next message to that
// chat.
func (h *harness) say(chatID, userID int64, text string) tgtest.Call {
	h.t.Helper()
	seen := len(h.srv.Calls("sendMessage"))
	h.srv.SendMessage(chatID, userID, text)
	return h.nextSend(seen, chatID)
}

// nextSend waits for a sendMessage to chatID after the first seen ones.
func (h *harness) nextSend(seen int, chatID int64) tgtest.Call {
	h.t.Helper()
	n := 0
	return h.srv.WaitCall(h.t, "sendMessage", func(c tgtest.Call) bool {
		n++
		return n > seen && c.Int("chat_id") == chatID
	}, wait)
}

// barrier sends /help from the owner and waits for the answer: with one worker, every
// update queued before it has been handled by then.
func (h *harness) barrier() {
	h.t.Helper()
	h.say(ownerID, ownerID, "/help")
}

// sentTo lists every call the bot made about chatID.
func (h *harness) sentTo(chatID int64) []tgtest.Call {
	var out []tgtest.Call
	for _, c := range h.srv.Calls("") {
		if c.Int("chat_id") == chatID && c.Method != "getUpdates" {
			out = append(out, c)
		}
	}
	return out
}
