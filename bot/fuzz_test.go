package bot

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"costbot/config"
	"costbot/internal/tgtest"
	costmodels "costbot/models"
)

// Fuzz targets for everything the bot reads from a chat: command text, its arguments and
// button data. The promise is that bad input never crashes the bot; each target also
// checks what the parser's result promises. Seeds are added here and checked in under
// testdata/fuzz/<target>/.

// commandName is a command name as parseCommand hands it out: lowercased.
var commandName = regexp.MustCompile(`^[a-z0-9_]+$`)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"/start", "/lang en", "/Lang@CostBot  zh ", "/lang\nen", "/bill 2025-03", "/service ec2 us-east-1",
		"/chart 30d", "/stop web-1", "/boot@costbot web-1", "/", "", "hello /start", "/@bot", "/ cost",
		"/cost@", "/cost@a@b x", "/\tcost", "/ÄBC", "/path/to/file", "/\u212aost", "/cost\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		name, target, args, ok := parseCommand(text)
		if !ok {
			if name != "" || target != "" || args != "" {
				t.Fatalf("parseCommand(%q) refused it but returned %q %q %q", text, name, target, args)
			}
			return
		}
		if !commandName.MatchString(name) {
			t.Fatalf("parseCommand(%q) name %q is not a command name", text, name)
		}
		if strings.ContainsAny(target, " \t\n") {
			t.Fatalf("parseCommand(%q) target %q has a separator in it", text, target)
		}
		if args != strings.TrimSpace(args) {
			t.Fatalf("parseCommand(%q) args %q are not trimmed", text, args)
		}
		// Writing the parts back gives the same parts, whatever case the name is in.
		again := "/" + strings.ToUpper(name)
		if target != "" {
			again += "@" + target
		}
		if args != "" {
			again += " " + args
		}
		n2, t2, a2, ok2 := parseCommand(again)
		if !ok2 || n2 != name || t2 != target || a2 != args {
			t.Fatalf("parseCommand(%q) = %q %q %q, but its rewrite %q = %q %q %q %v",
				text, name, target, args, again, n2, t2, a2, ok2)
		}
	})
}

// FuzzMonthArg is /bill YYYY-MM and the bill buttons' payload: a month the pattern
// accepts is one the store can read, and it prints back the same.
func FuzzMonthArg(f *testing.F) {
	for _, s := range []string{"2025-03", "2025-13", "2025-00", "0000-01", "9999-12", "2025-3", " 2025-03", "2025-03\n", "２０２５-03", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, month string) {
		if !monthArg.MatchString(month) {
			return
		}
		start, err := costmodels.MonthStart(month)
		if err != nil {
			t.Fatalf("%q passes the pattern but the store refuses it: %v", month, err)
		}
		if got := costmodels.MonthOf(start); got != month {
			t.Fatalf("month %q reads back as %q", month, got)
		}
	})
}

// FuzzServicePayload is the /service button payload "service:region:page".
func FuzzServicePayload(f *testing.F) {
	for _, s := range []string{"ec2:us-east-1:2", "ec2::1", "ec2", "", "ec2:eu-west-1:x", "s3::-5", "s3::0", "lambda:a:b:c", "q::99999999999999999999", "q::+7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		service, region, page := parseServicePayload(payload)
		if page < 1 {
			t.Fatalf("parseServicePayload(%q) page %d", payload, page)
		}
		if strings.Contains(service, ":") || strings.Contains(region, ":") {
			t.Fatalf("parseServicePayload(%q) = %q %q: a part has a colon", payload, service, region)
		}
		s2, r2, p2 := parseServicePayload(servicePayload(service, region, page))
		if s2 != service || r2 != region || p2 != page {
			t.Fatalf("%q -> %q %q %d -> %q %q %d", payload, service, region, page, s2, r2, p2)
		}
	})
}

// FuzzMatchInstances is the name argument of /stop and /boot.
func FuzzMatchInstances(f *testing.F) {
	for _, s := range []string{"web-1", "WEB-1", "web", "", "Web-1 ", "\u212aey", "k"} {
		f.Add(s)
	}
	instances := []costmodels.LightsailTraffic{
		{Region: "us-east-1", Instance: "web-1"}, {Region: "eu-west-1", Instance: "web-1"},
		{Region: "us-east-1", Instance: "Web-1"}, {Region: "ap-south-1", Instance: "key"},
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, m := range matchInstances(instances, name) {
			if !strings.EqualFold(m.Instance, name) {
				t.Fatalf("%q matched instance %q", name, m.Instance)
			}
		}
	})
}

// FuzzDecodeCallback is button data as a client may send it.
func FuzzDecodeCallback(f *testing.F) {
	for _, s := range []string{"m:home", "l:en", "sv:ec2:us-east-1:2", "sv:", "b:2025-03", "ch:30d", "lc:abcdefghijklm",
		"", ":", ":x", "m", "zz:x", "m:" + strings.Repeat("x", 62), "m:" + strings.Repeat("x", 61), "\x00:\xff"} {
		f.Add(s)
	}
	routes := indexRoutes((&Bot{}).callbackRoutes())
	f.Fuzz(func(t *testing.T, data string) {
		prefix, payload, ok := decodeCallback(data)
		if !ok {
			if _, routed := routes[prefix]; routed || prefix != "" || payload != "" {
				t.Fatalf("decodeCallback(%q) refused it but returned %q %q", data, prefix, payload)
			}
			return
		}
		if len(data) > maxCallbackData {
			t.Fatalf("decodeCallback accepted %d bytes", len(data))
		}
		if prefix == "" || strings.Contains(prefix, ":") || prefix+":"+payload != data {
			t.Fatalf("decodeCallback(%q) = %q %q", data, prefix, payload)
		}
		if _, routed := routes[prefix]; routed {
			// A known route takes the payload as it is: re-encoding gives the same data.
			if again := callbackData(prefix, payload); again != data {
				t.Fatalf("%q re-encodes as %q", data, again)
			}
		}
	})
}

// FuzzCallbackData encodes with every route's prefix: data that fits decodes back to
// the same parts, and data that does not fit is never handed out (callbackData panics,
// by design: the caller has a bug).
func FuzzCallbackData(f *testing.F) {
	for _, s := range []string{"home", "", "ec2:us-east-1:2", "2025-03", "abcdefghijklm", strings.Repeat("x", 61), strings.Repeat("x", 62), "é:"} {
		f.Add(s)
	}
	table := (&Bot{}).callbackRoutes()
	f.Fuzz(func(t *testing.T, payload string) {
		for _, route := range table {
			fits := len(route.Prefix)+1+len(payload) <= maxCallbackData
			data, panicked := encodeOrPanic(route.Prefix, payload)
			if panicked {
				if fits {
					t.Fatalf("callbackData(%q, %q) panicked on data that fits", route.Prefix, payload)
				}
				continue
			}
			if !fits || len(data) > maxCallbackData {
				t.Fatalf("callbackData(%q, %q) = %d bytes", route.Prefix, payload, len(data))
			}
			prefix, back, ok := decodeCallback(data)
			if !ok || prefix != route.Prefix || back != payload {
				t.Fatalf("%q decodes as %q %q %v", data, prefix, back, ok)
			}
		}
	})
}

func encodeOrPanic(prefix, payload string) (data string, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	return callbackData(prefix, payload), false
}

// FuzzPendingKey is the key in a confirmation button: any key a client sends finds
// nothing unless it is one handed out, and that one works once.
func FuzzPendingKey(f *testing.F) {
	for _, s := range []string{"", "abcdefghijklm", "ABCDEFGHIJKLM", "a", strings.Repeat("z", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
		p := newPending(clock.Now)
		handed := p.put(lightsailTarget{Op: opStop, Region: "us-east-1", Name: "web-1"}, time.Minute)
		if len(handed) != 13 || len(callbackData("lc", handed)) > maxCallbackData {
			t.Fatalf("key %q does not fit a button", handed)
		}
		if _, ok := p.take(key); ok != (key == handed) {
			t.Fatalf("take(%q) = %v with key %q handed out", key, ok, handed)
		}
		if _, ok := p.take(handed); ok == (key == handed) {
			t.Fatalf("key %q worked twice, or not at all", handed)
		}
	})
}

// FuzzRoute sends fuzzed text and button data through the bot's router, with a real
// store and a fake Telegram, as the admin in a private chat (so every route runs). A
// panic here would reach the recover middleware in production: the user would get
// "Internal error" for a typo.
func FuzzRoute(f *testing.F) {
	for _, s := range [][2]string{
		{"/start", "m:home"}, {"/help", "m:help"}, {"/cost", "c:"}, {"/service", "sv:"},
		{"/service ec2 us-east-1", "sv:ec2:us-east-1:2"}, {"/service nope", "sv:nope::-1"},
		{"/bill", "b:2025-03"}, {"/bill 2025-13", "b:x"}, {"/chart 24h", "ch:24h"}, {"/chart 7d", "ch:7d"},
		{"/lang en", "l:en"}, {"/lang xx", "l:xx"}, {"/lightsail", "ls:"}, {"/stop web-1", "la:abcdefghijklm"},
		{"/boot", "lc:abcdefghijklm"}, {"/collect", "lk:"}, {"/report", "zz:top"}, {"/status", ""},
		{"hello", "m:charts"}, {"/nope@otherbot x", "m:services"},
	} {
		f.Add(s[0], s[1])
	}
	b := newFuzzBot(f)
	f.Fuzz(func(t *testing.T, text, data string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		chat := models.Chat{ID: ownerID, Type: models.ChatTypePrivate}
		from := models.User{ID: ownerID, LanguageCode: "en"}
		msg := &models.Message{ID: 7, Chat: chat, From: &from, Date: 1_741_608_000}
		b.route(ctx, nil, &models.Update{ID: 1, Message: &models.Message{ID: 8, Chat: chat, From: &from, Text: text}})
		b.route(ctx, nil, &models.Update{ID: 2, CallbackQuery: &models.CallbackQuery{
			ID: "q", From: from, Data: data,
			Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: msg},
		}})
	})
}

// newFuzzBot builds a bot that is not polling: the fuzz target calls its router.
func newFuzzBot(f *testing.F) *Bot {
	f.Helper()
	srv := tgtest.New(f)
	store, err := costmodels.Open(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.URL(),
		"TELEGRAM_CHAT_IDS": "1001", "TELEGRAM_ADMIN_IDS": "1001",
	}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	b, err := New(cfg, Deps{
		Store:  store,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return now },
	})
	if err != nil {
		f.Fatal(err)
	}
	return b
}
