package bot

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	costmodels "costbot/models"
)

func TestSplitHTML(t *testing.T) {
	line := func(i int) string { return fmt.Sprintf("line %03d &amp; <b>bold %d</b>", i, i) }
	var lines []string
	for i := range 300 {
		lines = append(lines, line(i))
	}
	long := strings.Join(lines, "\n")
	tests := []struct {
		name  string
		in    string
		limit int
	}{
		{"short stays whole", "<b>hi</b>", 4096},
		{"many lines", long, 4096},
		{"many lines small limit", long, 200},
		{"one long pre block", "<pre>" + strings.Repeat("x", 500) + "\n" + strings.Repeat("y", 500) + "</pre>", 300},
		{"no line breaks", strings.Repeat("费用 &lt;a&gt; ", 400), 256},
		{"nested tags across cut", "<b>bold <i>" + strings.Repeat("word ", 200) + "</i> end</b>", 150},
		{"emoji count double", strings.Repeat("💰", 3000), 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitHTML(tt.in, tt.limit)
			var text strings.Builder
			for i, p := range parts {
				if n := utf16Len(p); n > tt.limit {
					t.Errorf("part %d is %d units, limit %d", i, n, tt.limit)
				}
				if err := checkTelegramHTML(p); err != nil {
					t.Errorf("part %d is not valid HTML on its own: %v\n%s", i, err, p)
				}
				text.WriteString(stripTags(p))
			}
			// Nothing is lost but the line break or space a cut is made at.
			squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if got, want := squash(text.String()), squash(stripTags(tt.in)); got != want {
				t.Errorf("text changed:\n got %.200q\nwant %.200q", got, want)
			}
			if utf16Len(tt.in) <= tt.limit && len(parts) != 1 {
				t.Errorf("a short text was split into %d parts", len(parts))
			}
		})
	}
	// Cuts prefer line ends.
	for i, p := range splitHTML(long, 4096) {
		if !strings.HasSuffix(p, "</b>") || !strings.HasPrefix(p, "line ") {
			t.Errorf("part %d does not cut at a line end: ...%q", i, p[len(p)-20:])
		}
	}
}

func TestRedact(t *testing.T) {
	token := "7123456789:AAE_secretSecretSecret-0123456789xyz"
	tests := []struct {
		in, want string
		secrets  []string
	}{
		{`Post "https://api.telegram.org/bot` + token + `/getUpdates": EOF`, `Post "https://api.telegram.org/bot<redacted>/getUpdates": EOF`, nil},
		{"token " + token + " twice " + token, "token <redacted> twice <redacted>", nil},
		{"odd-token-shape in /botodd-token-shape/x", "<redacted> in /bot<redacted>/x", []string{"odd-token-shape"}},
		{"chat -1001234567890 user 123456789", "chat -1001234567890 user 123456789", nil},
		{"at 2025-03-10 12:00:00", "at 2025-03-10 12:00:00", nil},
	}
	for _, tt := range tests {
		if got := Redact(tt.in, tt.secrets...); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}

	base := fmt.Errorf("wrapped: %w", tgbot.ErrorForbidden)
	err := redactErr(fmt.Errorf("send %s: %w", token, base))
	if strings.Contains(err.Error(), token) || !errors.Is(err, tgbot.ErrorForbidden) {
		t.Fatalf("redactErr = %v (chain kept: %v)", err, errors.Is(err, tgbot.ErrorForbidden))
	}
}

func TestRedactingHandler(t *testing.T) {
	token := "secret-without-the-usual-shape"
	shaped := "5555555:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	var buf bytes.Buffer
	log := slog.New(NewRedactingHandler(slog.NewJSONHandler(&buf, nil), token))
	log = log.With("url", "https://x/bot"+token+"/m").WithGroup("g")
	log.Info("calling /bot"+shaped+"/getMe",
		"error", errors.New("boom at /bot"+token+"/getUpdates"),
		"count", 3,
		slog.Group("req", "path", "/bot"+shaped),
		"any", struct{ URL string }{"/bot" + token},
	)
	out := buf.String()
	if strings.Contains(out, token) || strings.Contains(out, shaped) {
		t.Fatalf("a secret leaked: %s", out)
	}
	for _, want := range []string{`"count":3`, `"url":"https://x/bot<redacted>/m"`, `"path":"/bot<redacted>"`, `boom at /bot<redacted>/getUpdates`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s: %s", want, out)
		}
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in                 string
		name, target, args string
		ok                 bool
	}{
		{"/start", "start", "", "", true},
		{"/lang en", "lang", "", "en", true},
		{"/Lang@CostBot  zh ", "lang", "CostBot", "zh", true},
		{"/lang\nen", "lang", "", "en", true},
		{"hello /start", "", "", "", false},
		{"/", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tt := range tests {
		name, target, args, ok := parseCommand(tt.in)
		if name != tt.name || target != tt.target || args != tt.args || ok != tt.ok {
			t.Errorf("parseCommand(%q) = %q %q %q %v", tt.in, name, target, args, ok)
		}
	}
}

func TestRenderStatus(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.translator("en")
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	end := start.Add(2*time.Minute + 3*time.Second)
	got := renderStatus(en, statusView{
		Version: "v<1>",
		Uptime:  50 * time.Hour,
		DBBytes: 3 * 1024 * 1024,
		Runs: []costmodels.JobRun{
			{Job: "collect", StartedAt: start, FinishedAt: &end, Outcome: "ok"},
			{Job: "guard<x>", StartedAt: start, Outcome: "failed", FinishedAt: &end, Error: strings.Repeat("e", 400)},
		},
		TZ: time.UTC,
	})
	for _, want := range []string{
		"Version: <code>v&lt;1&gt;</code>", "Uptime: 2d2h0m", "Database: 3.0 MiB",
		"• <b>collect</b>: ✅ ok, started 2025-01-02 03:04:05 UTC, took 2m3s",
		"<b>guard&lt;x&gt;</b>: ❌ failed", strings.Repeat("e", 299) + "…",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, strings.Repeat("e", 301)) {
		t.Error("a long error was not shortened")
	}
	if err := checkTelegramHTML(got); err != nil {
		t.Errorf("status is not valid HTML: %v", err)
	}
	if empty := renderStatus(en, statusView{}); !strings.Contains(empty, "No job has run yet.") || !strings.Contains(empty, "dev") {
		t.Errorf("empty status = %q", empty)
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		850 * time.Millisecond: "850ms", 90 * time.Second: "1m30s", 3*time.Hour + 7*time.Minute: "3h7m",
		49*time.Hour + 30*time.Minute: "2d1h30m", -time.Second: "0s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPendingWorksOnceAndExpires(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	p := newPending(clock.Now)
	key := p.put("stop i-123 in us-east-1", time.Minute)
	if len(callbackData("x", key)) > maxCallbackData || len(key) != 13 {
		t.Fatalf("key %q does not fit a button", key)
	}
	if v, ok := p.take(key); !ok || v != "stop i-123 in us-east-1" {
		t.Fatalf("take = %v %v", v, ok)
	}
	if _, ok := p.take(key); ok {
		t.Fatal("a key worked twice")
	}
	expiring := p.put("late", time.Minute)
	if other := p.put("x", time.Minute); other == expiring {
		t.Fatal("keys repeat")
	}
	clock.Advance(time.Minute)
	if _, ok := p.take(expiring); ok {
		t.Fatal("an expired key worked")
	}
}

func TestRefusalLimiter(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := newRefusalLimiter(10*time.Minute, clock.Now)
	if !l.allow(1) || l.allow(1) || !l.allow(2) {
		t.Fatal("first refusal per chat must pass, the second must not")
	}
	clock.Advance(10*time.Minute - time.Second)
	if l.allow(1) {
		t.Fatal("allowed before 10 minutes")
	}
	clock.Advance(time.Second)
	if !l.allow(1) {
		t.Fatal("not allowed after 10 minutes")
	}
}

func TestCallbackDataFits(t *testing.T) {
	b := &Bot{}
	b.commands, b.order = indexCommands(b.commandTable())
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range languages {
		tr := cat.translator(lang)
		for _, row := range append(b.mainMenu(tr).InlineKeyboard, langKeyboard(tr).InlineKeyboard...) {
			for _, btn := range row {
				prefix, _, _ := strings.Cut(btn.CallbackData, ":")
				if _, ok := indexRoutes(b.callbackRoutes())[prefix]; !ok || len(btn.CallbackData) > maxCallbackData {
					t.Errorf("button %q has data %q with no route or too long", btn.Text, btn.CallbackData)
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("callbackData accepted 65 bytes")
		}
	}()
	callbackData("m", strings.Repeat("x", 63))
}

func TestRenderStatusShowsNextRunAndLastError(t *testing.T) {
	c, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en := c.translator("en")
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	done := t0.Add(3 * time.Second)
	got := renderStatus(en, statusView{
		TZ: time.UTC,
		Runs: []costmodels.JobRun{
			{ID: 9, Job: "collect", StartedAt: t0, FinishedAt: &done, Outcome: "ok"},
		},
		LastFailed: map[string]costmodels.JobRun{
			"collect": {ID: 7, Job: "collect", StartedAt: t0.Add(-2 * time.Hour), Outcome: "failed", Error: "ec2 us-east-1: <AccessDenied>"},
		},
		Next: map[string]time.Time{"collect": t0.Add(time.Hour), "report": t0.Add(5*time.Hour + 58*time.Minute)},
	})
	for _, want := range []string{
		"next run: 2026-11-22 11:00:00 UTC",
		"last error (2026-11-22 08:00 UTC): <code>ec2 us-east-1: &lt;AccessDenied&gt;</code>",
		"<b>report</b>: not run yet, next run 2026-11-22 15:58:00 UTC",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
}
