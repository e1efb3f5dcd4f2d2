package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/jonboulle/clockwork"

	"costbot/bot"
	"costbot/config"
	"costbot/internal/awstest"
	"costbot/internal/tgtest"
	"costbot/jobs"
	"costbot/models"
)

const (
	lsOwner  = 1001    // admin, private chat
	lsGroup  = -100500 // allowed group
	lsMember = 2002    // group member, not an admin
	lsWait   = 5 * time.Second
)

type lightsailWorld struct {
	t     *testing.T
	srv   *tgtest.Server
	ls    *awstest.Lightsail
	clock *clockwork.FakeClock
	cfg   *config.Config
	store *models.Store
	guard *jobs.Guard
	tg    *bot.Bot
}

func lightsailConfig(t *testing.T, extra map[string]string) *config.Config {
	t.Helper()
	env := map[string]string{
		"LIGHTSAIL_REGIONS": "us-east-1,eu-west-1",
		"BOT_LANG":          "en",
		"DB_PATH":           filepath.Join(t.TempDir(), "costbot.db"),
		"LIGHTSAIL_SELF":    "none", // never ask the machine's instance metadata service
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

func newLightsailWorld(t *testing.T, now time.Time) *lightsailWorld {
	t.Helper()
	w := &lightsailWorld{t: t, srv: tgtest.New(t), ls: awstest.StartLightsail(t), clock: clockwork.NewFakeClockAt(now)}
	w.ls.SetClock(w.clock.Now)
	w.cfg = lightsailConfig(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": w.srv.Token(), "TELEGRAM_API_URL": w.srv.URL(),
		"TELEGRAM_CHAT_IDS": "1001,-100500", "TELEGRAM_ADMIN_IDS": "1001,3003",
	})
	var err error
	if w.store, err = models.Open(w.cfg.DBPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.store.Close() })
	notifier, err := bot.NewNotifier(w.cfg, w.store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.guard = jobs.NewGuard(w.cfg, w.store, w.ls.Config("us-east-1"), notifier, nil, w.clock)
	w.tg, err = bot.New(w.cfg, bot.Deps{Store: w.store, Now: w.clock.Now, Lightsail: w.guard}, tgbot.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.tg.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	w.srv.WaitCall(t, "getUpdates", nil, lsWait)
	return w
}

func (w *lightsailWorld) check() {
	w.t.Helper()
	if counts, err := w.guard.Check(context.Background()); err != nil {
		w.t.Fatalf("check: %v (%s)", err, counts)
	}
}

// say plays a user writing text and returns the bot's next message to the chat.
func (w *lightsailWorld) say(chatID, userID int64, text string) tgtest.Call {
	w.t.Helper()
	seen := len(w.srv.Calls("sendMessage"))
	w.srv.SendMessage(chatID, userID, text)
	n := 0
	return w.srv.WaitCall(w.t, "sendMessage", func(c tgtest.Call) bool {
		n++
		return n > seen && c.Int("chat_id") == chatID
	}, lsWait)
}

// press plays a button press and returns the callback answer and, when the handler
// edits the message, the edit.
func (w *lightsailWorld) press(chatID, userID int64, msg tgtest.Call, data string, wantEdit bool) (answer, edit tgtest.Call) {
	w.t.Helper()
	seen := len(w.srv.Calls("editMessageText"))
	id := w.srv.PressButton(chatID, userID, msg.MessageID(), data)
	answer = w.srv.WaitCall(w.t, "answerCallbackQuery", func(c tgtest.Call) bool { return c.Params["callback_query_id"] == id }, lsWait)
	if wantEdit {
		n := 0
		edit = w.srv.WaitCall(w.t, "editMessageText", func(c tgtest.Call) bool {
			n++
			return n > seen && c.Int("chat_id") == chatID
		}, lsWait)
	}
	return answer, edit
}

func buttonData(t *testing.T, c tgtest.Call, prefix string) []string {
	t.Helper()
	var out []string
	for _, row := range c.Keyboard() {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, prefix) {
				out = append(out, b.CallbackData)
			}
		}
	}
	return out
}

func (w *lightsailWorld) stopCalls(name string) int {
	n := 0
	for _, c := range w.ls.Calls("StopInstance") {
		if c.Str("instanceName") == name {
			n++
		}
	}
	return n
}

func (w *lightsailWorld) outboxKeys() []string {
	w.t.Helper()
	var rows []models.OutboxMessage
	if err := w.store.DB().Order("id").Find(&rows).Error; err != nil {
		w.t.Fatal(err)
	}
	var keys []string
	for _, r := range rows {
		if r.DedupKey != nil {
			keys = append(keys, *r.DedupKey)
		}
	}
	return keys
}

// TestLightsailGuardDoneWhen is the acceptance scenario.
func TestLightsailGuardDoneWhen(t *testing.T) {
	now := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	w := newLightsailWorld(t, now)
	w.ls.AddUsedInstance("us-east-1", "big_<one>", now, 96)
	w.ls.AddUsedInstance("eu-west-1", "mid_two", now, 85)

	w.check()
	if n := w.stopCalls("big_<one>"); n != 1 {
		t.Fatalf("StopInstance for the 96%% instance: %d calls, want 1", n)
	}
	if n := w.stopCalls("mid_two"); n != 0 {
		t.Fatalf("the 85%% instance was stopped")
	}
	keys := w.outboxKeys()
	want := []string{
		"1001:lightsail.stop/us-east-1/big_<one>/2025-03/stop/1", "-100500:lightsail.stop/us-east-1/big_<one>/2025-03/stop/1",
		"1001:lightsail.warn/eu-west-1/mid_two/2025-03/warn/80", "-100500:lightsail.warn/eu-west-1/mid_two/2025-03/warn/80",
	}
	for _, k := range want {
		if !strings.Contains(strings.Join(keys, "\n"), k) {
			t.Errorf("outbox lacks %q; has %q", k, keys)
		}
	}
	if len(keys) != len(want) {
		t.Errorf("outbox %q; want exactly %d pushes", keys, len(want))
	}
	var stopText models.OutboxMessage
	w.store.DB().Where("dedup_key = ?", want[0]).Take(&stopText)
	if !strings.Contains(stopText.Text, "big_&lt;one&gt;") || !strings.Contains(stopText.Text, "96.0%") || !strings.Contains(stopText.Text, "accepted") {
		t.Errorf("stop push:\n%s", stopText.Text)
	}

	for i := 1; i <= 3; i++ {
		w.clock.Advance(10 * time.Minute)
		w.check()
	}
	if n := w.stopCalls("big_<one>"); n != 1 {
		t.Errorf("StopInstance %d calls after later checks, want still 1", n)
	}
	if got := w.outboxKeys(); len(got) != len(want) {
		t.Errorf("later checks pushed again: %q", got)
	}

	list := w.say(lsGroup, lsMember, "/lightsail")
	text := list.Params["text"]
	for _, s := range []string{"big_&lt;one&gt;", "us-east-1", "stopped", "96.0%", "mid_two", "eu-west-1", "85.0%", "▓▓▓▓▓▓▓▓░░ 85.0%"} {
		if !strings.Contains(text, s) {
			t.Errorf("/lightsail lacks %q:\n%s", s, text)
		}
	}
	if asks := buttonData(t, list, "la:"); len(asks) != 0 {
		t.Errorf("a non-admin got Stop/Start buttons: %v", asks)
	}
	if asks := buttonData(t, w.say(lsOwner, lsOwner, "/lightsail"), "la:"); len(asks) != 2 {
		t.Errorf("the admin got %d Stop/Start buttons, want one per instance", len(asks))
	}

	refusal := w.say(lsGroup, lsMember, "/stop mid_two")
	if !strings.Contains(refusal.Params["text"], "Only admins") || !strings.Contains(refusal.Params["text"], "2002") {
		t.Errorf("non-admin /stop answered %q", refusal.Params["text"])
	}
	if n := w.stopCalls("mid_two"); n != 0 {
		t.Errorf("a non-admin's /stop stopped it")
	}
}

func TestStopConfirmationEndToEnd(t *testing.T) {
	now := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	w := newLightsailWorld(t, now)
	w.ls.AddUsedInstance("us-east-1", "web", now, 40)
	w.ls.AddUsedInstance("us-east-1", "twin", now, 10)
	w.ls.AddUsedInstance("eu-west-1", "twin", now, 20)
	w.check()

	// /stop NAME → a confirmation; a non-admin's press is refused and uses nothing up.
	ask := w.say(lsGroup, lsOwner, "/stop web")
	confirm := buttonData(t, ask, "lc:")
	if len(confirm) != 1 || !strings.Contains(ask.Params["text"], "web") {
		t.Fatalf("/stop web answered %q with %v", ask.Params["text"], ask.Keyboard())
	}
	answer, _ := w.press(lsGroup, lsMember, ask, confirm[0], false)
	if !strings.Contains(answer.Params["text"], "Only admins") || answer.Params["show_alert"] != "true" {
		t.Errorf("non-admin press answered %v", answer.Params)
	}
	if n := w.stopCalls("web"); n != 0 {
		t.Fatalf("a non-admin's press stopped it")
	}

	_, done := w.press(lsGroup, lsOwner, ask, confirm[0], true)
	if !strings.Contains(done.Params["text"], "accepted") || w.stopCalls("web") != 1 || w.ls.State("us-east-1", "web") != "stopped" {
		t.Fatalf("confirm: %q, StopInstance %d", done.Params["text"], w.stopCalls("web"))
	}
	actions, err := w.store.LightsailActions(context.Background(), "", "us-east-1", "web", "2025-03")
	if err != nil || len(actions) != 1 || actions[0].Actor != "1001" || actions[0].Action != "stop" || actions[0].Result != jobs.ResultOK {
		t.Fatalf("recorded actions %+v (%v); want the admin's stop", actions, err)
	}

	// The same button again: single use.
	_, again := w.press(lsGroup, lsOwner, ask, confirm[0], true)
	if !strings.Contains(again.Params["text"], "expired") || w.stopCalls("web") != 1 {
		t.Errorf("second press: %q, StopInstance %d", again.Params["text"], w.stopCalls("web"))
	}

	// /boot, then the confirmation waits past two minutes: expired.
	boot := w.say(lsOwner, lsOwner, "/boot web")
	w.clock.Advance(2*time.Minute + time.Second)
	_, late := w.press(lsOwner, lsOwner, boot, buttonData(t, boot, "lc:")[0], true)
	if !strings.Contains(late.Params["text"], "expired") || len(w.ls.Calls("StartInstance")) != 0 {
		t.Errorf("late press: %q, StartInstance %d", late.Params["text"], len(w.ls.Calls("StartInstance")))
	}

	// A name in two regions: which one?
	which := w.say(lsOwner, lsOwner, "/stop twin")
	regions := buttonData(t, which, "la:")
	if len(regions) != 2 || !strings.Contains(which.Params["text"], "several regions") {
		t.Fatalf("/stop twin answered %q with %v", which.Params["text"], which.Keyboard())
	}
	euButton := ""
	for _, row := range which.Keyboard() {
		if strings.HasPrefix(row[0].Text, "eu-west-1") {
			euButton = row[0].CallbackData
		}
	}
	_, prompt := w.press(lsOwner, lsOwner, which, euButton, true)
	if !strings.Contains(prompt.Params["text"], "eu-west-1") {
		t.Errorf("region choice led to %q", prompt.Params["text"])
	}
	var lc []string
	var kb [][]tgtest.Button
	if err := prompt.JSON("reply_markup", &struct {
		InlineKeyboard *[][]tgtest.Button `json:"inline_keyboard"`
	}{&kb}); err == nil {
		for _, row := range kb {
			for _, b := range row {
				if strings.HasPrefix(b.CallbackData, "lc:") {
					lc = append(lc, b.CallbackData)
				}
			}
		}
	}
	if len(lc) != 1 {
		t.Fatalf("the region's prompt has no confirm button: %v", kb)
	}
	w.press(lsOwner, lsOwner, which, lc[0], true)
	if w.ls.State("eu-west-1", "twin") != "stopped" || w.ls.State("us-east-1", "twin") != "running" {
		t.Errorf("twin states: eu %s, us %s; want only the chosen region's stopped", w.ls.State("eu-west-1", "twin"), w.ls.State("us-east-1", "twin"))
	}

	// An unknown name lists the known ones.
	unknown := w.say(lsOwner, lsOwner, "/stop nope")
	if text := unknown.Params["text"]; !strings.Contains(text, "Unknown instance") || !strings.Contains(text, "twin, web") {
		t.Errorf("/stop nope answered %q", text)
	}
}

func TestLightsailCommandLine(t *testing.T) {
	now := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	ls := awstest.StartLightsail(t)
	clock := clockwork.NewFakeClockAt(now)
	ls.SetClock(clock.Now)
	ls.AddUsedInstance("us-east-1", "over", now, 97)
	ls.AddUsedInstance("eu-west-1", "fine", now, 30)
	cfg := lightsailConfig(t, nil)

	var out, errOut bytes.Buffer
	if code := runLightsail(context.Background(), cfg, ls.Config("us-east-1"), clock, true, false, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc lightsailDocument
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Instances) != 2 || len(ls.Calls("StopInstance")) != 0 {
		t.Fatalf("measure: %+v, StopInstance %d; want both and no stop", doc.Instances, len(ls.Calls("StopInstance")))
	}
	for _, r := range doc.Instances {
		wantPct := map[string]float64{"over": 97, "fine": 30}[r.Name]
		if r.Percent < wantPct-0.01 || r.Percent > wantPct+0.01 || r.AllowanceGB != 1000 {
			t.Errorf("%s: %.3f%% of %v GB, want %v%% of 1000", r.Name, r.Percent, r.AllowanceGB, wantPct)
		}
	}

	out.Reset()
	errOut.Reset()
	if code := runLightsail(context.Background(), cfg, ls.Config("us-east-1"), clock, false, true, &out, &errOut); code != 0 {
		t.Fatalf("enforce exit %d: %s", code, errOut.String())
	}
	if len(ls.Calls("StopInstance")) != 1 || ls.State("us-east-1", "over") != "stopped" {
		t.Fatalf("enforce: StopInstance %d", len(ls.Calls("StopInstance")))
	}
	if text := out.String(); !strings.Contains(text, "stopped=1") || !strings.Contains(text, "over") || !strings.Contains(text, "StopInstance was accepted") {
		t.Errorf("enforce printed:\n%s", text)
	}

	out.Reset()
	if code := printReport(context.Background(), cfg, clock, "en", &out, &errOut); code != 0 {
		t.Fatalf("report exit %d: %s", code, errOut.String())
	}
	if text := out.String(); !strings.Contains(text, "Daily report 2025-03-20") || !strings.Contains(text, "over") || strings.Contains(text, "<b>") {
		t.Errorf("report printed:\n%s", text)
	}
}
