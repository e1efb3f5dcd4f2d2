// Package tgtest is an in-process fake of the Telegram Bot API for tests.
//
// It speaks the real protocol, so the bot under test runs its production code path
// (go-telegram/bot pointed at Server.URL with bot.WithServerURL): requests go to
// /bot<token>/<method> as multipart/form-data, urlencoded or JSON; answers are
// {"ok":true,"result":...} envelopes with realistic objects; getUpdates long-polls.
// A test plays users (SendMessage, PressButton), awaits the bot's calls (WaitCall)
// and injects faults (Fail, SetHandler).
package tgtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultToken is shaped like a real token so that redaction which matches the token
// format is exercised too.
const DefaultToken = "123456789:AAHk3-tgtestSecretToken_0123456789abcd"

// BotUser is the user getMe returns.
var BotUser = User{ID: 123456789, IsBot: true, FirstName: "costbot", Username: "costbot_test_bot"}

// Call is one request the bot made.
type Call struct {
	Method string
	Params map[string]string // form values; JSON-valued fields hold their JSON text
	Files  map[string]File   // uploaded files by form field
	Status int               // HTTP status answered
	Body   string            // response body; empty for getUpdates, which answers later
	At     time.Time
}

// MessageID is the message_id of the Message the call was answered with, or 0.
func (c Call) MessageID() int {
	var env struct {
		Result struct {
			MessageID int `json:"message_id"`
		} `json:"result"`
	}
	json.Unmarshal([]byte(c.Body), &env)
	return env.Result.MessageID
}

// File is an uploaded file.
type File struct {
	Name string
	Data []byte
}

// Int returns a numeric parameter, or 0.
func (c Call) Int(name string) int64 {
	n, _ := strconv.ParseInt(c.Params[name], 10, 64)
	return n
}

// JSON decodes a JSON-valued parameter such as reply_markup into v.
func (c Call) JSON(name string, v any) error {
	raw, ok := c.Params[name]
	if !ok {
		return fmt.Errorf("tgtest: %s has no parameter %q", c.Method, name)
	}
	return json.Unmarshal([]byte(raw), v)
}

// Keyboard returns the inline keyboard of the call's reply_markup, or nil.
func (c Call) Keyboard() [][]Button {
	var m struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	}
	if c.JSON("reply_markup", &m) != nil {
		return nil
	}
	return m.InlineKeyboard
}

// Button is an inline keyboard button as the bot sent it.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// User, Chat, Entity and Message are the wire objects the server sends.
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	FirstName string `json:"first_name,omitempty"`
}

type Entity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type Message struct {
	MessageID   int             `json:"message_id"`
	From        *User           `json:"from,omitempty"`
	Date        int64           `json:"date"`
	EditDate    int64           `json:"edit_date,omitempty"`
	Chat        Chat            `json:"chat"`
	Text        string          `json:"text,omitempty"`
	Caption     string          `json:"caption,omitempty"`
	Entities    []Entity        `json:"entities,omitempty"`
	Photo       []PhotoSize     `json:"photo,omitempty"`
	ReplyMarkup json.RawMessage `json:"reply_markup,omitempty"`
}

type PhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int    `json:"file_size,omitempty"`
}

type callbackQuery struct {
	ID           string   `json:"id"`
	From         User     `json:"from"`
	Message      *Message `json:"message,omitempty"`
	ChatInstance string   `json:"chat_instance"`
	Data         string   `json:"data"`
}

type update struct {
	UpdateID      int64          `json:"update_id"`
	Message       *Message       `json:"message,omitempty"`
	EditedMessage *Message       `json:"edited_message,omitempty"`
	CallbackQuery *callbackQuery `json:"callback_query,omitempty"`
}

type fault struct {
	remaining   int
	status      int
	description string
	retryAfter  int
}

// Handler is a test's escape hatch: when it reports handled, the server answers with
// status and body verbatim and does nothing else for the call.
type Handler func(Call) (handled bool, status int, body string)

// Server is the fake Bot API.
type Server struct {
	srv   *httptest.Server
	token string

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced whenever calls or updates change
	closed     chan struct{}
	calls      []Call
	updates    []update // not yet confirmed by a getUpdates offset
	nextUpdate int64
	nextMsgID  int
	nextCBID   int
	sent       map[int]Message // the bot's messages by ID, for PressButton
	faults     map[string]*fault
	handler    Handler
	now        func() time.Time
	poll       chan struct{} // closed to end the getUpdates being held, when another arrives
	conflicts  int
}

// New starts a server with DefaultToken; it closes when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		token:      DefaultToken,
		changed:    make(chan struct{}),
		closed:     make(chan struct{}),
		nextUpdate: 1000,
		nextMsgID:  1,
		sent:       map[int]Message{},
		faults:     map[string]*fault{},
		now:        time.Now,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.Close)
	return s
}

// Conflicts is how many held getUpdates were ended by another one: more than one bot
// instance polling.
func (s *Server) Conflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conflicts
}

// URL is the server's base URL, for TELEGRAM_API_URL / bot.WithServerURL.
func (s *Server) URL() string { return s.srv.URL }

// Token is the token the server accepts.
func (s *Server) Token() string { return s.token }

// Close ends pending long polls and stops the server. It is safe to call twice.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.closed:
		s.mu.Unlock()
		return
	default:
		close(s.closed)
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// broadcastLocked wakes every waiter; s.mu must be held.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) queueLocked(u update) int64 {
	s.nextUpdate++
	u.UpdateID = s.nextUpdate
	s.updates = append(s.updates, u)
	s.broadcastLocked()
	return u.UpdateID
}

func chatFor(chatID, userID int64) Chat {
	if chatID == userID {
		return Chat{ID: chatID, Type: "private", FirstName: "User" + strconv.FormatInt(userID, 10)}
	}
	return Chat{ID: chatID, Type: "group", Title: "Group " + strconv.FormatInt(chatID, 10)}
}

func userFor(userID int64) User {
	return User{ID: userID, FirstName: "User" + strconv.FormatInt(userID, 10)}
}

// commandEntities marks a leading /command (with an optional @botname) as Telegram does.
func commandEntities(text string) []Entity {
	if !strings.HasPrefix(text, "/") || len(text) < 2 {
		return nil
	}
	end := strings.IndexAny(text, " \n\t")
	if end < 0 {
		end = len(text)
	}
	return []Entity{{Type: "bot_command", Offset: 0, Length: utf16Len(text[:end])}}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func (s *Server) userMessageLocked(chatID, userID int64, text string) *Message {
	s.nextMsgID++
	from := userFor(userID)
	return &Message{
		MessageID: s.nextMsgID,
		From:      &from,
		Date:      s.now().Unix(),
		Chat:      chatFor(chatID, userID),
		Text:      text,
		Entities:  commandEntities(text),
	}
}

// SendMessage plays a user writing text in a chat (private when chatID == userID,
// else a group) and returns the update ID.
func (s *Server) SendMessage(chatID, userID int64, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queueLocked(update{Message: s.userMessageLocked(chatID, userID, text)})
}

// SendEditedMessage plays a user editing an earlier message into text.
func (s *Server) SendEditedMessage(chatID, userID int64, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.userMessageLocked(chatID, userID, text)
	m.EditDate = m.Date
	return s.queueLocked(update{EditedMessage: m})
}

// PressButton plays a user pressing an inline button with data on the bot's message
// messageID, and returns the callback query ID the bot must answer.
func (s *Server) PressButton(chatID, userID int64, messageID int, data string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, ok := s.sent[messageID]
	if !ok {
		from := BotUser
		msg = Message{MessageID: messageID, From: &from, Date: s.now().Unix(), Chat: chatFor(chatID, userID), Text: "..."}
	}
	s.nextCBID++
	id := strconv.FormatInt(chatID, 10) + "-" + strconv.Itoa(s.nextCBID)
	s.queueLocked(update{CallbackQuery: &callbackQuery{
		ID:           id,
		From:         userFor(userID),
		Message:      &msg,
		ChatInstance: "ci" + strconv.FormatInt(chatID, 10),
		Data:         data,
	}})
	return id
}

// Fail makes the next n calls of method answer with an error: status is the
// error_code (and HTTP status), retryAfter > 0 adds parameters.retry_after.
func (s *Server) Fail(method string, n, status int, description string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = &fault{remaining: n, status: status, description: description, retryAfter: retryAfter}
}

// SetHandler installs (or, with nil, removes) the escape hatch consulted before the
// server's own handling of every authorised call.
func (s *Server) SetHandler(h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
}

// Calls returns the recorded calls of method, or of every method when method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCall returns the first recorded call of method that match accepts (nil accepts
// any), waiting up to timeout for it to arrive; it fails the test on timeout.
func (s *Server) WaitCall(t testing.TB, method string, match func(Call) bool, timeout time.Duration) Call {
	t.Helper()
	c, ok := s.AwaitCall(method, match, timeout)
	if !ok {
		var seen []string
		for _, c := range s.Calls("") {
			seen = append(seen, fmt.Sprintf("%s%v", c.Method, c.Params))
		}
		t.Fatalf("tgtest: no matching %s call within %v; calls so far:\n%s", method, timeout, strings.Join(seen, "\n"))
	}
	return c
}

// AwaitCall is WaitCall that reports a timeout instead of failing the test.
func (s *Server) AwaitCall(method string, match func(Call) bool, timeout time.Duration) (Call, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		s.mu.Lock()
		for ; seen < len(s.calls); seen++ {
			c := s.calls[seen]
			if c.Method == method && (match == nil || match(c)) {
				s.mu.Unlock()
				return c, true
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return Call{}, false
		}
	}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	token, method, ok := splitPath(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	if token != s.token {
		writeError(w, http.StatusUnauthorized, "Unauthorized", 0)
		return
	}
	params, files, err := parseParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}
	call := Call{Method: method, Params: params, Files: files, At: s.now()}

	s.mu.Lock()
	status, body := s.answerLocked(&call)
	var terminated chan struct{}
	if body == "" && method == "getUpdates" {
		terminated = s.holdPollLocked()
	}
	s.mu.Unlock()
	if terminated != nil {
		status, body = s.getUpdates(r, call, terminated)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// answerLocked records the call and decides its answer; an empty body with status 200
// means getUpdates must long-poll outside the lock.
func (s *Server) answerLocked(call *Call) (int, string) {
	status, body := s.decideLocked(*call)
	call.Status, call.Body = status, body
	s.calls = append(s.calls, *call)
	s.broadcastLocked()
	return status, body
}

func (s *Server) decideLocked(call Call) (int, string) {
	if s.handler != nil {
		if handled, status, body := s.handler(call); handled {
			return status, body
		}
	}
	if f := s.faults[call.Method]; f != nil && f.remaining > 0 {
		f.remaining--
		return f.status, errorBody(f.status, f.description, f.retryAfter)
	}
	switch call.Method {
	case "getUpdates":
		return http.StatusOK, ""
	case "getMe":
		return ok(BotUser)
	case "sendMessage":
		return s.storeMessageLocked(call, false)
	case "sendPhoto":
		return s.storeMessageLocked(call, true)
	case "editMessageText":
		id := int(call.Int("message_id"))
		m, found := s.sent[id]
		if !found {
			return http.StatusBadRequest, errorBody(http.StatusBadRequest, "Bad Request: message to edit not found", 0)
		}
		if m.Text == call.Params["text"] && string(m.ReplyMarkup) == call.Params["reply_markup"] {
			return http.StatusBadRequest, errorBody(http.StatusBadRequest, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message", 0)
		}
		m.Text = call.Params["text"]
		m.ReplyMarkup = rawOrNil(call.Params["reply_markup"])
		m.EditDate = s.now().Unix()
		s.sent[id] = m
		return ok(m)
	case "editMessageReplyMarkup":
		if m, found := s.sent[int(call.Int("message_id"))]; found {
			m.ReplyMarkup = rawOrNil(call.Params["reply_markup"])
			s.sent[m.MessageID] = m
		}
		return ok(true)
	case "deleteMessage":
		delete(s.sent, int(call.Int("message_id")))
		return ok(true)
	case "setMyCommands", "deleteMyCommands", "answerCallbackQuery", "sendChatAction", "deleteWebhook", "setChatMenuButton":
		return ok(true)
	}
	return http.StatusNotFound, errorBody(http.StatusNotFound, "Not Found: method not found", 0)
}

func rawOrNil(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func (s *Server) storeMessageLocked(call Call, photo bool) (int, string) {
	chatID, err := strconv.ParseInt(call.Params["chat_id"], 10, 64)
	if err != nil {
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, "Bad Request: chat not found", 0)
	}
	if !photo && strings.TrimSpace(call.Params["text"]) == "" {
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, "Bad Request: message text is empty", 0)
	}
	if utf16Len(call.Params["text"]) > 4096 {
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, "Bad Request: message is too long", 0)
	}
	s.nextMsgID++
	from := BotUser
	chat := Chat{ID: chatID, Type: "group"}
	if chatID > 0 {
		chat = Chat{ID: chatID, Type: "private"}
	}
	m := Message{MessageID: s.nextMsgID, From: &from, Date: s.now().Unix(), Chat: chat, Text: call.Params["text"], ReplyMarkup: rawOrNil(call.Params["reply_markup"])}
	if photo {
		m.Text = ""
		m.Caption = call.Params["caption"]
		size := len(call.Files["photo"].Data)
		m.Photo = []PhotoSize{{FileID: "photo-" + strconv.Itoa(m.MessageID), FileUniqueID: "u" + strconv.Itoa(m.MessageID), Width: 800, Height: 600, FileSize: size}}
	}
	s.sent[m.MessageID] = m
	return ok(m)
}

// holdPollLocked makes a getUpdates the one held: Telegram serves one poller per bot,
// so the poll held before it ends with 409 Conflict. The returned channel is closed when
// a later one arrives.
func (s *Server) holdPollLocked() chan struct{} {
	if s.poll != nil {
		close(s.poll)
		s.conflicts++
	}
	s.poll = make(chan struct{})
	return s.poll
}

// getUpdates confirms updates below offset, then answers the pending ones or holds
// the request until one is queued, the timeout passes, the client goes away or a newer
// getUpdates terminates it.
func (s *Server) getUpdates(r *http.Request, call Call, terminated chan struct{}) (int, string) {
	offset := call.Int("offset")
	limit := int(call.Int("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout := time.Duration(call.Int("timeout")) * time.Second
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	defer func() {
		s.mu.Lock()
		if s.poll == terminated {
			s.poll = nil
		}
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		if offset > 0 {
			s.updates = slices.DeleteFunc(s.updates, func(u update) bool { return u.UpdateID < offset })
		}
		pending := s.updates
		if len(pending) > limit {
			pending = pending[:limit]
		}
		changed := s.changed
		s.mu.Unlock()
		if len(pending) > 0 || timeout <= 0 {
			return ok(append([]update{}, pending...))
		}
		select {
		case <-changed:
		case <-terminated:
			return http.StatusConflict, errorBody(http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", 0)
		case <-deadline.C:
			return ok([]update{})
		case <-r.Context().Done():
			return ok([]update{})
		case <-s.closed:
			return ok([]update{})
		}
	}
}

func splitPath(p string) (token, method string, ok bool) {
	rest, found := strings.CutPrefix(p, "/bot")
	if !found {
		return "", "", false
	}
	token, method, found = strings.Cut(rest, "/")
	method = strings.TrimPrefix(method, "test/")
	return token, method, found && method != "" && !strings.Contains(method, "/")
}

// parseParams reads a request body in any encoding the Bot API accepts, plus the
// query string.
func parseParams(r *http.Request) (map[string]string, map[string]File, error) {
	params := map[string]string{}
	files := map[string]File{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return params, files, nil
	}
	mediaType, mediaParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), mediaParams["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, nil, fmt.Errorf("multipart: %w", err)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, nil, fmt.Errorf("multipart %s: %w", part.FormName(), err)
			}
			if part.FileName() != "" {
				files[part.FormName()] = File{Name: part.FileName(), Data: data}
			} else {
				params[part.FormName()] = string(data)
			}
		}
	case "application/x-www-form-urlencoded":
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, fmt.Errorf("form: %w", err)
		}
		for k, v := range values {
			params[k] = v[0]
		}
	case "application/json":
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return nil, nil, fmt.Errorf("json: %w", err)
		}
		for k, raw := range fields {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				params[k] = str
			} else {
				params[k] = string(raw)
			}
		}
	default:
		return nil, nil, fmt.Errorf("unsupported content type %q", mediaType)
	}
	return params, files, nil
}

func ok(result any) (int, string) {
	b, err := json.Marshal(map[string]any{"ok": true, "result": result})
	if err != nil {
		panic(err)
	}
	return http.StatusOK, string(b)
}

func errorBody(status int, description string, retryAfter int) string {
	v := map[string]any{"ok": false, "error_code": status, "description": description}
	if retryAfter > 0 {
		v["parameters"] = map[string]int{"retry_after": retryAfter}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func writeError(w http.ResponseWriter, status int, description string, retryAfter int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, errorBody(status, description, retryAfter))
}
