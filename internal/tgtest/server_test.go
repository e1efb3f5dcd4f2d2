package tgtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"costbot/internal/tgtest"
)

const wait = 5 * time.Second

func newClient(t *testing.T, s *tgtest.Server, token string) *tgbot.Bot {
	t.Helper()
	b, err := tgbot.New(token, tgbot.WithServerURL(s.URL()), tgbot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func post(t *testing.T, s *tgtest.Server, method, contentType, body string) (int, envelope) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/"+method, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, env
}

func TestMultipartParamsAndFiles(t *testing.T) {
	s := tgtest.New(t)
	b := newClient(t, s, s.Token())
	png := []byte("\x89PNG\r\n\x1a\nfake-image-bytes")
	msg, err := b.SendPhoto(context.Background(), &tgbot.SendPhotoParams{
		ChatID:    int64(-100200),
		Photo:     &models.InputFileUpload{Filename: "chart.png", Data: bytes.NewReader(png)},
		Caption:   "<b>cost</b>",
		ParseMode: models.ParseModeHTML,
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
			{{Text: "Refresh", CallbackData: "r:1"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.ID == 0 || msg.Chat.ID != -100200 || msg.Caption != "<b>cost</b>" || len(msg.Photo) != 1 {
		t.Fatalf("sendPhoto answered %+v", msg)
	}
	c := s.WaitCall(t, "sendPhoto", nil, wait)
	if got := c.Files["photo"]; got.Name != "chart.png" || !bytes.Equal(got.Data, png) {
		t.Fatalf("photo upload = %q %q", got.Name, got.Data)
	}
	if c.Params["parse_mode"] != "HTML" || c.Int("chat_id") != -100200 {
		t.Fatalf("params = %v", c.Params)
	}
	kb := c.Keyboard()
	if len(kb) != 1 || kb[0][0].Text != "Refresh" || kb[0][0].CallbackData != "r:1" {
		t.Fatalf("keyboard = %+v", kb)
	}
}

func TestMessageIDsIncreaseAndEditWorks(t *testing.T) {
	s := tgtest.New(t)
	b := newClient(t, s, s.Token())
	ctx := context.Background()
	first, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 42, Text: "one"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 42, Text: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if second.ID <= first.ID || second.Text != "two" || second.Chat.ID != 42 {
		t.Fatalf("messages %+v then %+v", first, second)
	}
	edited, err := b.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: 42, MessageID: first.ID, Text: "uno"})
	if err != nil || edited.Text != "uno" || edited.ID != first.ID {
		t.Fatalf("edit = %+v, %v", edited, err)
	}
	if _, err := b.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: 42, MessageID: first.ID, Text: "uno"}); !errors.Is(err, tgbot.ErrorBadRequest) {
		t.Fatalf("same edit again: err = %v, want bad request (not modified)", err)
	}
	for _, method := range []string{"setMyCommands", "answerCallbackQuery", "deleteMessage", "editMessageReplyMarkup"} {
		code, env := post(t, s, method, "application/x-www-form-urlencoded", "chat_id=42&message_id=1")
		if code != 200 || !env.OK || string(env.Result) != "true" {
			t.Errorf("%s answered %d %+v", method, code, env)
		}
	}
}

func TestURLEncodedAndJSONBodies(t *testing.T) {
	s := tgtest.New(t)
	form := url.Values{"chat_id": {"7"}, "text": {"a & b"}}.Encode()
	if code, env := post(t, s, "sendMessage", "application/x-www-form-urlencoded", form); code != 200 || !env.OK {
		t.Fatalf("urlencoded: %d %+v", code, env)
	}
	if code, env := post(t, s, "sendMessage", "application/json", `{"chat_id":8,"text":"json","reply_markup":{"inline_keyboard":[[{"text":"x","callback_data":"y"}]]}}`); code != 200 || !env.OK {
		t.Fatalf("json: %d %+v", code, env)
	}
	calls := s.Calls("sendMessage")
	if len(calls) != 2 {
		t.Fatalf("calls = %d", len(calls))
	}
	if calls[0].Params["text"] != "a & b" || calls[0].Int("chat_id") != 7 {
		t.Errorf("urlencoded params = %v", calls[0].Params)
	}
	if calls[1].Params["text"] != "json" || calls[1].Int("chat_id") != 8 || calls[1].Keyboard()[0][0].CallbackData != "y" {
		t.Errorf("json params = %v", calls[1].Params)
	}
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	s := tgtest.New(t)
	b := newClient(t, s, "999:wrong")
	_, err := b.GetMe(context.Background())
	if !errors.Is(err, tgbot.ErrorUnauthorized) {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	me, err := newClient(t, s, s.Token()).GetMe(context.Background())
	if err != nil || me.Username != tgtest.BotUser.Username {
		t.Fatalf("getMe = %+v, %v", me, err)
	}
}

func TestGetUpdatesOffsetAndLongPoll(t *testing.T) {
	s := tgtest.New(t)
	first := s.SendMessage(5, 5, "/start")
	second := s.SendMessage(-9, 5, "hello")

	code, env := post(t, s, "getUpdates", "application/x-www-form-urlencoded", "timeout=0")
	var ups []models.Update
	if err := json.Unmarshal(env.Result, &ups); err != nil || code != 200 {
		t.Fatal(code, err)
	}
	if len(ups) != 2 || ups[0].ID != first || ups[1].ID != second {
		t.Fatalf("updates = %+v", ups)
	}
	if m := ups[0].Message; m.Chat.Type != models.ChatTypePrivate || len(m.Entities) != 1 || m.Entities[0].Type != models.MessageEntityTypeBotCommand || m.Entities[0].Length != 6 {
		t.Errorf("private command message = %+v", m)
	}
	if m := ups[1].Message; m.Chat.Type != models.ChatTypeGroup || len(m.Entities) != 0 || m.From.ID != 5 {
		t.Errorf("group text message = %+v", m)
	}

	// An offset confirms earlier updates; with none left, the poll waits for the next one.
	type result struct {
		ups     []models.Update
		elapsed time.Duration
	}
	done := make(chan result)
	go func() {
		start := time.Now()
		var ups []models.Update
		resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/getUpdates", "application/x-www-form-urlencoded", strings.NewReader("timeout=30&offset="+strconv.FormatInt(second+1, 10)))
		if err == nil {
			var env envelope
			json.NewDecoder(resp.Body).Decode(&env)
			json.Unmarshal(env.Result, &ups)
			resp.Body.Close()
		}
		done <- result{ups, time.Since(start)}
	}()
	s.WaitCall(t, "getUpdates", func(c tgtest.Call) bool { return c.Int("offset") == second+1 }, wait)
	select {
	case r := <-done:
		t.Fatalf("long poll returned early with %+v", r.ups)
	default:
	}
	cb := s.PressButton(5, 5, 1, "m:help")
	r := <-done
	if len(r.ups) != 1 || r.ups[0].CallbackQuery == nil || r.ups[0].CallbackQuery.ID != cb || r.ups[0].CallbackQuery.Data != "m:help" {
		t.Fatalf("after press: %+v", r.ups)
	}
	if r.elapsed > 10*time.Second {
		t.Fatalf("long poll held %v after an update was queued", r.elapsed)
	}

	// With nothing pending, the poll answers empty once its timeout passes.
	start := time.Now()
	_, env = post(t, s, "getUpdates", "application/x-www-form-urlencoded", "timeout=1&offset="+strconv.FormatInt(r.ups[0].ID+1, 10))
	if string(env.Result) != "[]" {
		t.Fatalf("empty poll = %s", env.Result)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("poll with timeout=1 returned after %v", el)
	}
}

func TestLongPollEndsWhenClientLeaves(t *testing.T) {
	s := tgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/bot"+s.Token()+"/getUpdates?timeout=60", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	s.WaitCall(t, "getUpdates", nil, wait)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(wait):
		t.Fatal("request did not end after the client left")
	}
	// The server must not be stuck: Close (run by cleanup) would hang otherwise.
	s.Close()
}

func TestFaultInjection(t *testing.T) {
	s := tgtest.New(t)
	b := newClient(t, s, s.Token())
	ctx := context.Background()

	s.Fail("sendMessage", 1, 429, "Too Many Requests: retry after 7", 7)
	_, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 1, Text: "x"})
	var tooMany *tgbot.TooManyRequestsError
	if !errors.As(err, &tooMany) || tooMany.RetryAfter != 7 {
		t.Fatalf("err = %v, want 429 retry_after 7", err)
	}
	if _, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 1, Text: "x"}); err != nil {
		t.Fatalf("second call should pass, got %v", err)
	}

	s.Fail("sendMessage", 2, 403, "Forbidden: bot was blocked by the user", 0)
	for range 2 {
		if _, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 1, Text: "x"}); !errors.Is(err, tgbot.ErrorForbidden) || !strings.Contains(err.Error(), "blocked") {
			t.Fatalf("err = %v, want forbidden", err)
		}
	}
	s.Fail("sendMessage", 1, 400, "Bad Request: can't parse entities", 0)
	if _, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 1, Text: "<b"}); !errors.Is(err, tgbot.ErrorBadRequest) {
		t.Fatalf("err = %v, want bad request", err)
	}
	s.Fail("sendMessage", 1, 502, "Bad Gateway", 0)
	if _, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 1, Text: "x"}); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("err = %v, want 502", err)
	}
	statuses := []int{}
	for _, c := range s.Calls("sendMessage") {
		statuses = append(statuses, c.Status)
	}
	if want := []int{429, 200, 403, 403, 400, 502}; !slices.Equal(statuses, want) {
		t.Fatalf("recorded statuses %v, want %v", statuses, want)
	}

	s.SetHandler(func(c tgtest.Call) (bool, int, string) {
		return c.Method == "getMe", http.StatusBadGateway, "<html>bad gateway</html>"
	})
	if _, err := b.GetMe(ctx); err == nil || !strings.Contains(err.Error(), "bad gateway") {
		t.Fatalf("custom handler: err = %v", err)
	}
	s.SetHandler(nil)
	if _, err := b.GetMe(ctx); err != nil {
		t.Fatalf("after SetHandler(nil): %v", err)
	}
}

func TestEditedMessageUpdate(t *testing.T) {
	s := tgtest.New(t)
	id := s.SendEditedMessage(3, 3, "/lang en")
	resp, err := http.Get(s.URL() + "/bot" + s.Token() + "/getUpdates")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct{ Result []models.Update }
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if len(env.Result) != 1 || env.Result[0].ID != id || env.Result[0].EditedMessage == nil || env.Result[0].EditedMessage.Text != "/lang en" || env.Result[0].Message != nil {
		t.Fatalf("updates = %s", body)
	}
}

// A second getUpdates while one is held ends the held one with 409 Conflict, as
// Telegram does when two instances poll the same bot.
func TestSecondPollerConflicts(t *testing.T) {
	s := tgtest.New(t)
	first := make(chan int, 1)
	go func() {
		code, _ := post(t, s, "getUpdates", "application/x-www-form-urlencoded", "timeout=30")
		first <- code
	}()
	s.WaitCall(t, "getUpdates", nil, wait)
	second := make(chan envelope, 1)
	go func() {
		_, env := post(t, s, "getUpdates", "application/x-www-form-urlencoded", "timeout=1")
		second <- env
	}()
	select {
	case code := <-first:
		if code != http.StatusConflict {
			t.Errorf("held poll answered %d, want 409", code)
		}
	case <-time.After(wait):
		t.Fatal("the held poll was not ended by the second")
	}
	if env := <-second; !env.OK {
		t.Errorf("the newer poll failed: %+v", env)
	}
	if n := s.Conflicts(); n != 1 {
		t.Errorf("Conflicts() = %d, want 1", n)
	}
}
