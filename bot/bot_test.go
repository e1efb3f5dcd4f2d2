package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	"costbot/internal/tgtest"
	costmodels "costbot/models"
)

func TestStartShowsMenu(t *testing.T) {
	h := newHarness(t)
	h.start()

	reply := h.say(ownerID, ownerID, "/start")
	zh := h.tr("zh")
	if reply.Params["parse_mode"] != "HTML" {
		t.Errorf("parse_mode = %q, want HTML", reply.Params["parse_mode"])
	}
	if reply.Params["text"] != zh.T(msgID{"start.welcome"}) || !strings.Contains(reply.Params["text"], "费用") {
		t.Errorf("welcome = %q, want the Chinese catalog text (BOT_LANG=zh)", reply.Params["text"])
	}
	kb := reply.Keyboard()
	// Every row of the menu table, two to a row, in Chinese.
	var want [][]tgtest.Button
	for i, m := range h.bot.menuTable() {
		if i%2 == 0 {
			want = append(want, nil)
		}
		want[len(want)-1] = append(want[len(want)-1], tgtest.Button{Text: zh.T(m.Label), CallbackData: "m:" + m.Key})
	}
	if fmt.Sprint(kb) != fmt.Sprint(want) {
		t.Errorf("keyboard = %v, want %v", kb, want)
	}
	for _, key := range []string{"cost", "services", "bill", "charts", "help", "status", "lang"} {
		if !strings.Contains(fmt.Sprint(kb), " m:"+key+" ") {
			t.Errorf("the menu has no %q button: %v", key, kb)
		}
	}
}

func TestMenuButtonAnswersFirstThenEdits(t *testing.T) {
	h := newHarness(t)
	h.start()
	menuID := h.say(ownerID, ownerID, "/start").MessageID()
	if menuID == 0 {
		t.Fatal("the menu message has no ID")
	}

	cb := h.srv.PressButton(ownerID, ownerID, menuID, "m:help")
	edit := h.srv.WaitCall(t, "editMessageText", func(c tgtest.Call) bool { return int(c.Int("message_id")) == menuID }, wait)
	if edit.Params["text"] != renderHelp(h.tr("zh"), h.bot.order) || edit.Params["parse_mode"] != "HTML" {
		t.Errorf("menu help edit = %q", edit.Params["text"])
	}
	if kb := edit.Keyboard(); len(kb) != 1 || kb[0][0].CallbackData != "m:home" {
		t.Errorf("help view keyboard = %v, want a back button", kb)
	}
	calls := h.srv.Calls("")
	answered := slices.IndexFunc(calls, func(c tgtest.Call) bool {
		return c.Method == "answerCallbackQuery" && c.Params["callback_query_id"] == cb
	})
	edited := slices.IndexFunc(calls, func(c tgtest.Call) bool { return c.Method == "editMessageText" })
	if answered < 0 || answered > edited {
		t.Fatalf("callback answered at call %d, message edited at %d: must answer first", answered, edited)
	}

	// Status edits the same message with the status view.
	h.srv.PressButton(ownerID, ownerID, menuID, "m:status")
	st := h.srv.WaitCall(t, "editMessageText", func(c tgtest.Call) bool {
		return strings.Contains(c.Params["text"], "v1.2.3-test")
	}, wait)
	if int(st.Int("message_id")) != menuID {
		t.Errorf("status edited message %d, want %d", st.Int("message_id"), menuID)
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	h := newHarness(t)
	h.start()
	reply := h.say(ownerID, ownerID, "/help")
	zh := h.tr("zh")
	text := reply.Params["text"]
	if len(h.bot.order) < 4 {
		t.Fatalf("command table has %d rows", len(h.bot.order))
	}
	for _, c := range h.bot.order {
		line := "/" + c.Name + " — " + zh.T(c.Help)
		if !strings.Contains(text, line) {
			t.Errorf("/help lacks %q:\n%s", line, text)
		}
	}
	if reply.Params["parse_mode"] != "HTML" {
		t.Errorf("parse_mode = %q", reply.Params["parse_mode"])
	}
}

func TestLangSwitchesReplies(t *testing.T) {
	h := newHarness(t)
	h.start()
	en, zh := h.tr("en"), h.tr("zh")

	reply := h.say(ownerID, ownerID, "/lang en")
	if want := en.T(msgID{"lang.changed"}, map[string]any{"Name": "English"}); reply.Params["text"] != want {
		t.Fatalf("/lang en = %q, want %q", reply.Params["text"], want)
	}
	if got := h.say(ownerID, ownerID, "/help").Params["text"]; got != renderHelp(en, h.bot.order) {
		t.Fatalf("/help after /lang en = %q", got)
	}
	if lang, _ := h.store.ChatLang(context.Background(), ownerID); lang != "en" {
		t.Fatalf("stored language = %q", lang)
	}
	// Another chat keeps BOT_LANG.
	if got := h.say(groupID, memberID, "/help").Params["text"]; got != renderHelp(zh, h.bot.order) {
		t.Fatalf("group /help = %q, want Chinese", got)
	}

	reply = h.say(ownerID, ownerID, "/lang zh")
	if want := zh.T(msgID{"lang.changed"}, map[string]any{"Name": "中文"}); reply.Params["text"] != want {
		t.Fatalf("/lang zh = %q, want %q", reply.Params["text"], want)
	}
	if got := h.say(ownerID, ownerID, "/help").Params["text"]; got != renderHelp(zh, h.bot.order) {
		t.Fatalf("/help after /lang zh = %q", got)
	}

	for _, bad := range []string{"/lang xx", "/lang"} {
		reply = h.say(ownerID, ownerID, bad)
		text := reply.Params["text"]
		if !strings.Contains(text, "zh|en") || !strings.Contains(text, "中文") || text != zh.T(msgID{"lang.usage"}, map[string]any{"Valid": "zh|en", "Current": "中文"}) {
			t.Errorf("%s = %q, want the valid list and the current language", bad, text)
		}
		if kb := reply.Keyboard(); len(kb) == 0 || kb[0][0].CallbackData != "l:zh" || kb[0][1].CallbackData != "l:en" {
			t.Errorf("%s keyboard = %v", bad, kb)
		}
	}
	if lang, _ := h.store.ChatLang(context.Background(), ownerID); lang != "zh" {
		t.Fatalf("a bad /lang changed the language to %q", lang)
	}
}

func TestLangButton(t *testing.T) {
	h := newHarness(t)
	h.start()
	menuID := h.say(groupID, memberID, "/start").MessageID()
	h.srv.PressButton(groupID, memberID, menuID, "l:en")
	edit := h.srv.WaitCall(t, "editMessageText", nil, wait)
	en := h.tr("en")
	if !strings.HasPrefix(edit.Params["text"], en.T(msgID{"lang.changed"}, map[string]any{"Name": "English"})) {
		t.Fatalf("edit = %q", edit.Params["text"])
	}
	if kb := edit.Keyboard(); len(kb) == 0 || kb[0][0].Text != en.T(h.bot.menuTable()[0].Label) {
		t.Fatalf("menu after switching = %v, want English labels", kb)
	}
	if lang, _ := h.store.ChatLang(context.Background(), groupID); lang != "en" {
		t.Fatalf("stored language = %q", lang)
	}
}

func TestStrangerGetsOneRefusalPerTenMinutes(t *testing.T) {
	h := newHarness(t)
	h.start()
	zh := h.tr("zh")
	want := zh.T(msgID{"access.refused"}, map[string]any{"UserID": strangerID, "ChatID": strangerGr})

	refusal := h.say(strangerGr, strangerID, "/start")
	if refusal.Params["text"] != want || !strings.Contains(want, "666") || !strings.Contains(want, "-777") {
		t.Fatalf("refusal = %q, want %q", refusal.Params["text"], want)
	}
	if _, hasMarkup := refusal.Params["reply_markup"]; hasMarkup {
		t.Errorf("refusal carries a keyboard: %s", refusal.Params["reply_markup"])
	}

	h.srv.SendMessage(strangerGr, strangerID, "/status")
	h.srv.SendEditedMessage(strangerGr, strangerID, "/help")
	h.clock.Advance(9 * time.Minute)
	h.srv.SendMessage(strangerGr, strangerID, "hello")
	h.barrier()
	if got := len(h.sentTo(strangerGr)); got != 1 {
		t.Fatalf("stranger chat got %d calls within 10 minutes, want 1: %v", got, h.sentTo(strangerGr))
	}

	h.clock.Advance(time.Minute)
	again := h.say(strangerGr, strangerID, "/help")
	if again.Params["text"] != want {
		t.Fatalf("after 10 minutes: %q", again.Params["text"])
	}
	h.barrier()
	if got := len(h.sentTo(strangerGr)); got != 2 {
		t.Fatalf("stranger chat got %d calls, want 2", got)
	}

	// An edited message from another stranger chat is refused as well.
	h.srv.SendEditedMessage(strangerID, strangerID, "/start")
	private := h.srv.WaitCall(t, "sendMessage", func(c tgtest.Call) bool { return c.Int("chat_id") == strangerID }, wait)
	if !strings.Contains(private.Params["text"], "<code>666</code>") {
		t.Fatalf("private refusal = %q", private.Params["text"])
	}
}

func TestStrangerButtonPressGetsAlertOnly(t *testing.T) {
	h := newHarness(t)
	h.start()
	before := len(h.srv.Calls(""))
	cb := h.srv.PressButton(strangerGr, strangerID, 5, "l:en")
	answer := h.srv.WaitCall(t, "answerCallbackQuery", func(c tgtest.Call) bool { return c.Params["callback_query_id"] == cb }, wait)
	if answer.Params["show_alert"] != "true" || !strings.Contains(answer.Params["text"], "666") || strings.Contains(answer.Params["text"], "<code>") {
		t.Fatalf("answer = %v, want a plain-text alert with the user ID", answer.Params)
	}
	h.barrier()
	for _, c := range h.srv.Calls("")[before:] {
		switch {
		case c.Method == "getUpdates", c.Method == "answerCallbackQuery" && c.Params["callback_query_id"] == cb:
		case c.Method == "sendMessage" && c.Int("chat_id") == ownerID: // the barrier
		default:
			t.Errorf("stranger's press caused %s %v", c.Method, c.Params)
		}
	}
	if lang, _ := h.store.ChatLang(context.Background(), strangerGr); lang != "" {
		t.Fatalf("stranger's button set the language to %q", lang)
	}
}

func TestUnknownCommandAndTextPointToHelp(t *testing.T) {
	h := newHarness(t)
	h.start()
	want := h.tr("zh").T(msgID{"unknown.pointer"})
	for _, text := range []string{"/frobnicate", "hello there", "/FROB@costbot_test_bot x"} {
		if got := h.say(ownerID, ownerID, text).Params["text"]; got != want || !strings.Contains(got, "/help") {
			t.Errorf("%q got %q, want the /help pointer", text, got)
		}
	}
	// In a group, chatter and commands for other bots are not answered.
	h.srv.SendMessage(groupID, memberID, "hello everyone")
	h.srv.SendMessage(groupID, memberID, "/help@some_other_bot")
	h.srv.SendEditedMessage(ownerID, ownerID, "/status")
	before := len(h.sentTo(groupID))
	h.barrier()
	if got := len(h.sentTo(groupID)); got != before || before != 0 {
		t.Fatalf("group got %d messages, want none", got)
	}
	if got := h.say(groupID, memberID, "/help@costbot_test_bot").Params["text"]; got != renderHelp(h.tr("zh"), h.bot.order) {
		t.Fatalf("/help@me in group = %q", got)
	}
}

func TestSetMyCommandsInEveryLanguage(t *testing.T) {
	h := newHarness(t)
	h.start()
	calls := h.srv.Calls("setMyCommands")
	if len(calls) != 3 {
		t.Fatalf("setMyCommands called %d times, want 3", len(calls))
	}
	byLang := map[string][]struct{ Command, Description string }{}
	for _, c := range calls {
		var cmds []struct{ Command, Description string }
		if err := c.JSON("commands", &cmds); err != nil {
			t.Fatal(err)
		}
		byLang[c.Params["language_code"]] = cmds
	}
	for _, lang := range []string{"zh", "en", ""} {
		cmds, ok := byLang[lang]
		if !ok {
			t.Fatalf("no setMyCommands for language_code %q", lang)
		}
		trLang := lang
		if lang == "" {
			trLang = h.cfg.Lang
		}
		if len(cmds) != len(h.bot.order) {
			t.Fatalf("%q: %d commands, want %d", lang, len(cmds), len(h.bot.order))
		}
		for i, c := range h.bot.order {
			want := h.tr(trLang).T(c.Help)
			if c.Admin {
				want += " " + h.tr(trLang).T(msgID{"help.admin_only"})
			}
			if cmds[i].Command != c.Name || cmds[i].Description != want {
				t.Errorf("%q command %d = %+v", lang, i, cmds[i])
			}
		}
	}
	if byLang["en"][0].Description == byLang["zh"][0].Description {
		t.Errorf("en and zh menus are the same: %q", byLang["en"][0].Description)
	}
}

func TestAdminOnlyCommand(t *testing.T) {
	h := newHarness(t)
	ran := make(chan int64, 2)
	h.bot.commands["wipe"] = Command{Name: "wipe", Help: msgID{"help.status"}, Admin: true, Handle: func(ctx context.Context, r *Request) error {
		ran <- r.UserID
		_, err := h.bot.send(ctx, r.ChatID, "wiped", nil)
		return err
	}}
	h.start()
	refused := h.say(groupID, memberID, "/wipe")
	if refused.Params["text"] != h.tr("zh").T(msgID{"access.admin_only"}, map[string]any{"UserID": memberID}) {
		t.Fatalf("non-admin got %q", refused.Params["text"])
	}
	if got := h.say(groupID, ownerID, "/wipe").Params["text"]; got != "wiped" {
		t.Fatalf("admin got %q", got)
	}
	if len(ran) != 1 || <-ran != ownerID {
		t.Fatal("the handler ran for someone other than the admin")
	}
}

func TestStatusShowsJobRuns(t *testing.T) {
	h := newHarness(t)
	h.start()
	zh := h.tr("zh")
	if got := h.say(ownerID, ownerID, "/status").Params["text"]; !strings.Contains(got, zh.T(msgID{"status.no_jobs"})) || !strings.Contains(got, "v1.2.3-test") || !strings.Contains(got, "1d2h5m") {
		t.Fatalf("status without runs = %q", got)
	}
	ctx := context.Background()
	at := time.Date(2025, 3, 10, 3, 0, 0, 0, time.UTC)
	run, err := h.store.StartJobRun(ctx, "collect", at)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.FinishJobRun(ctx, run, at.Add(95*time.Second), "", errors.New("ec2 us-east-1: <throttled> & retried")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.StartJobRun(ctx, "guard", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := h.say(ownerID, ownerID, "/status").Params["text"]
	for _, want := range []string{
		"<b>collect</b>", zh.T(msgID{"status.outcome.failed"}), "2025-03-10 11:00:00 CST", "1m35s",
		"ec2 us-east-1: &lt;throttled&gt; &amp; retried",
		"<b>guard</b>", zh.T(msgID{"status.still_running"}),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
}

func TestHandlerErrorsAndPanicsAreCounted(t *testing.T) {
	h := newHarness(t)
	h.bot.commands["boom"] = Command{Name: "boom", Help: msgID{"help.help"}, Handle: func(context.Context, *Request) error {
		panic("kaboom")
	}}
	h.bot.commands["oops"] = Command{Name: "oops", Help: msgID{"help.help"}, Handle: func(context.Context, *Request) error {
		return errors.New("disk on fire")
	}}
	h.start()
	internal := h.tr("zh").T(msgID{"error.internal"})
	if got := h.say(ownerID, ownerID, "/boom").Params["text"]; got != internal {
		t.Fatalf("panic reply = %q", got)
	}
	if got := h.say(ownerID, ownerID, "/oops").Params["text"]; got != internal {
		t.Fatalf("error reply = %q", got)
	}
	h.logs.waitFor(t, "disk on fire")
	h.logs.waitFor(t, "kaboom")
	body := scrape(t, h)
	for _, want := range []string{
		`costbot_handler_errors_total{command="boom"} 1`,
		`costbot_handler_errors_total{command="oops"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The bot still works.
	if got := h.say(ownerID, ownerID, "/help").Params["text"]; got != renderHelp(h.tr("zh"), h.bot.order) {
		t.Fatalf("after a panic /help = %q", got)
	}
}

func scrape(t *testing.T, h *harness) string {
	t.Helper()
	srv := httptest.NewServer(NewHTTPHandler(h.bot.Health, h.reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func TestTokenNeverLogged(t *testing.T) {
	h := newHarness(t)
	token := h.srv.Token()
	// A proxy in front of the API that echoes the request path: the library's decode
	// error quotes the body, token and all.
	h.srv.SetHandler(func(c tgtest.Call) (bool, int, string) {
		if c.Method == "getUpdates" || c.Method == "sendMessage" {
			return true, http.StatusNotFound, "404 page not found: /bot" + token + "/" + c.Method
		}
		return false, 0, ""
	})
	h.start()
	h.logs.waitFor(t, "telegram client error")

	_, err := h.bot.send(context.Background(), ownerID, "hi", nil)
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), redacted) {
		t.Fatalf("Send error = %v, want it redacted", err)
	}

	h.srv.SetHandler(nil)
	h.srv.Fail("sendMessage", 1, http.StatusForbidden, "Forbidden: bot was blocked by the user "+token, 0)
	_, err = h.bot.send(context.Background(), ownerID, "hi", nil)
	if !errors.Is(err, tgbot.ErrorForbidden) || strings.Contains(err.Error(), token) {
		t.Fatalf("Send error = %v, want forbidden, redacted", err)
	}
	h.say(ownerID, ownerID, "/help") // polling recovered
	h.stop()

	logs := h.logs.String()
	if strings.Contains(logs, token) || strings.Contains(logs, strings.SplitN(token, ":", 2)[1]) {
		t.Fatalf("the token appears in the logs:\n%s", logs)
	}
	if !strings.Contains(logs, redacted) {
		t.Fatalf("expected a redacted error in the logs:\n%s", logs)
	}
	if strings.Contains(scrape(t, h), token) {
		t.Fatal("the token appears in /metrics")
	}
}

func TestShutdownLetsHandlerFinish(t *testing.T) {
	h := newHarness(t)
	started, release := make(chan struct{}), make(chan struct{})
	h.bot.commands["slow"] = Command{Name: "slow", Help: msgID{"help.help"}, Handle: func(ctx context.Context, r *Request) error {
		close(started)
		<-release
		_, err := h.bot.send(ctx, r.ChatID, "finished", nil)
		return err
	}}
	h.start()
	id := h.srv.SendMessage(ownerID, ownerID, "/slow")
	<-started
	h.cancel()
	select {
	case <-h.done:
		t.Fatal("Run returned while a handler was running")
	default:
	}
	close(release)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.WaitCall(t, "sendMessage", nil, wait).Params["text"]; got != "finished" {
		t.Fatalf("in-flight handler sent %q", got)
	}
	if h.bot.Alive() {
		t.Fatal("Alive after Run returned")
	}
	// The handled update is confirmed so a restart does not handle it again.
	polls := h.srv.Calls("getUpdates")
	last := polls[len(polls)-1]
	if last.Int("offset") != id+1 || last.Int("timeout") != 0 {
		t.Fatalf("last getUpdates = %v, want offset %d timeout 0", last.Params, id+1)
	}
}

func TestShutdownGraceCancelsStragglers(t *testing.T) {
	h := newHarness(t)
	h.bot.grace = 50 * time.Millisecond
	started, sawCancel := make(chan struct{}), make(chan error, 1)
	h.bot.commands["stuck"] = Command{Name: "stuck", Help: msgID{"help.help"}, Handle: func(ctx context.Context, r *Request) error {
		close(started)
		<-ctx.Done()
		sawCancel <- ctx.Err()
		return nil
	}}
	h.start()
	h.srv.SendMessage(ownerID, ownerID, "/stuck")
	<-started
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if err := <-sawCancel; !errors.Is(err, context.Canceled) {
		t.Fatalf("straggler saw %v", err)
	}
}

func TestRunStopsPromptly(t *testing.T) {
	h := newHarness(t)
	h.start()
	start := time.Now()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("Run took %v to return", el)
	}
}

func TestRunFailsOnRejectedToken(t *testing.T) {
	srv := tgtest.New(t)
	cfg := testConfig(t, srv, map[string]string{"TELEGRAM_BOT_TOKEN": "42424242:AAwrongwrongwrongwrongwrongwrong"})
	store, err := costmodels.Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	logs := newLogBuffer()
	b, err := New(cfg, Deps{Store: store, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background())
	if err == nil || strings.Contains(err.Error(), "AAwrong") || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN") {
		t.Fatalf("Run = %v, want a redacted token error", err)
	}
	if len(srv.Calls("getUpdates")) != 0 {
		t.Fatal("polled with a rejected token")
	}
	if strings.Contains(logs.String(), "AAwrong") {
		t.Fatalf("token in logs: %s", logs.String())
	}
}

func TestGetMe(t *testing.T) {
	srv := tgtest.New(t)
	name, err := GetMe(context.Background(), testConfig(t, srv, nil))
	if err != nil || name != tgtest.BotUser.Username {
		t.Fatalf("GetMe = %q, %v", name, err)
	}
	_, err = GetMe(context.Background(), testConfig(t, srv, map[string]string{"TELEGRAM_BOT_TOKEN": "42424242:AAwrongwrongwrongwrongwrongwrong"}))
	if !errors.Is(err, tgbot.ErrorUnauthorized) || strings.Contains(err.Error(), "AAwrong") {
		t.Fatalf("GetMe with a wrong token = %v", err)
	}
}

func TestHealthAndMetricsEndpoints(t *testing.T) {
	h := newHarness(t)
	srv := httptest.NewServer(NewHTTPHandler(h.bot.Health, h.reg))
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	if code, _ := get("/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("before Run: /healthz = %d", code)
	}
	h.start()
	if code, body := get("/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("polling: /healthz = %d %q", code, body)
	}
	// No getUpdates round completes while the clock moves three minutes on.
	h.clock.Advance(3 * time.Minute)
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "polling") {
		t.Fatalf("stale polling: /healthz = %d %q", code, body)
	}
	h.say(ownerID, ownerID, "/start")  // a round completes
	h.logs.waitFor(t, "command=start") // counted before it is logged
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("after a fresh round: /healthz = %d", code)
	}

	code, body := get("/metrics")
	for _, want := range []string{
		`costbot_updates_handled_total{command="start",kind="message"} 1`,
		`costbot_handler_errors_total{command="status"} 0`,
		`costbot_handler_errors_total{command="button:menu"} 0`,
		"process_start_time_seconds", "go_goroutines",
	} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}
	if strings.Contains(body, h.srv.Token()) {
		t.Error("the token appears in /metrics")
	}

	h.store.Close()
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
		t.Fatalf("closed DB: /healthz = %d %q", code, body)
	}
	h.stop()
	if code, _ := get("/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("after stop: /healthz = %d", code)
	}
}
