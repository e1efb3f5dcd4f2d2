package tghtml

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
)

// checkTelegramHTML reports what in s would not parse alone: unbalanced tags, a cut
// tag, a cut entity.
func checkTelegramHTML(s string) error {
	var stack []string
	tag := regexp.MustCompile(`^<(/?)([a-z-]+)[^<>]*>`)
	entity := regexp.MustCompile(`^&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);`)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			m := tag.FindStringSubmatch(s[i:])
			if m == nil {
				return fmt.Errorf("broken tag at %d: %.20q", i, s[i:])
			}
			if m[1] == "/" {
				if len(stack) == 0 || stack[len(stack)-1] != m[2] {
					return fmt.Errorf("</%s> at %d closes nothing open (open: %v)", m[2], i, stack)
				}
				stack = stack[:len(stack)-1]
			} else {
				stack = append(stack, m[2])
			}
			i += len(m[0]) - 1
		case '>':
			return fmt.Errorf("stray > at %d", i)
		case '&':
			if entity.FindString(s[i:]) == "" {
				return fmt.Errorf("broken entity at %d: %.12q", i, s[i:])
			}
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("tags left open: %v", stack)
	}
	return nil
}

func utf16Units(s string) int { return len(utf16.Encode([]rune(s))) }

func TestSplit(t *testing.T) {
	long := func(line string, n int) string { return strings.TrimSuffix(strings.Repeat(line+"\n", n), "\n") }
	tests := []struct {
		name      string
		text      string
		parseMode string
		limit     int
		check     func(t *testing.T, parts []string)
	}{
		{
			name: "short text is one part", text: "<b>hi</b> &amp; bye", parseMode: "HTML", limit: 4096,
			check: wantParts("<b>hi</b> &amp; bye"),
		},
		{
			name: "cuts after whole lines", text: long("0123456789", 10), parseMode: "", limit: 35,
			check: wantParts("0123456789\n0123456789\n0123456789", "0123456789\n0123456789\n0123456789",
				"0123456789\n0123456789\n0123456789", "0123456789"),
		},
		{
			name: "a long line is cut at spaces", text: "alpha beta gamma delta epsilon zeta", parseMode: "", limit: 12,
			check: wantParts("alpha beta", "gamma delta", "epsilon zeta"),
		},
		{
			name: "a word longer than the limit is cut anywhere", text: "abcdefghij", parseMode: "", limit: 4,
			check: wantParts("abcd", "efgh", "ij"),
		},
		{
			name: "open tags are closed and reopened", text: "<b>one two</b> <i>three <u>four five</u></i>", parseMode: "HTML", limit: 20,
			check: func(t *testing.T, parts []string) {
				for _, p := range parts {
					if err := checkTelegramHTML(p); err != nil {
						t.Errorf("part %q: %v", p, err)
					}
					if utf16Units(p) > 20 {
						t.Errorf("part %q longer than 20", p)
					}
				}
				if got := strings.Join(strings.Fields(PlainText(strings.Join(parts, " "))), " "); got != "one two three four five" {
					t.Errorf("reads %q", got)
				}
			},
		},
		{
			name: "entities are never cut", text: "&lt;&lt;&lt;&lt;&lt;&lt;&gt;&gt;&gt;", parseMode: "HTML", limit: 10,
			check: wantParts("&lt;&lt;", "&lt;&lt;", "&lt;&lt;", "&gt;&gt;", "&gt;"),
		},
		{
			name: "plain text has no tags to keep", text: "<b>abcdef</b>", parseMode: "", limit: 5,
			check: wantParts("<b>ab", "cdef<", "/b>"),
		},
		{
			name: "emoji count as two UTF-16 units", text: "😀😀😀😀😀", parseMode: "", limit: 4,
			check: wantParts("😀😀", "😀😀", "😀"),
		},
		{
			name: "no empty trailing part", text: "<b>aaaa\n\n\n</b>", parseMode: "HTML", limit: 12,
			check: wantParts("<b>aaaa</b>"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, Split(tt.text, tt.parseMode, tt.limit))
		})
	}
}

func wantParts(want ...string) func(t *testing.T, parts []string) {
	return func(t *testing.T, parts []string) {
		t.Helper()
		if strings.Join(parts, "|") != strings.Join(want, "|") {
			t.Errorf("parts = %q, want %q", parts, want)
		}
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<b>web-1</b> stopped at <i>95.2%</i>", "web-1 stopped at 95.2%"},
		{`<a href="https://x.test/?a=1&amp;b=2">link</a> &lt;tag&gt; &amp; &#36;5 &quot;q&quot;`, `link <tag> & $5 "q"`},
		// What made Telegram refuse the HTML stays as text.
		{"instance <my-server> costs < $5 & more", "instance <my-server> costs < $5 & more"},
		{"<blockquote expandable>x</blockquote><tg-spoiler>y</tg-spoiler>", "xy"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitCutsLongReportsOnLineBoundaries(t *testing.T) {
	// A report of 300 lines inside <b>…</b>, each with entities, links and emoji:
	// about 3.5 times the limit.
	var b strings.Builder
	b.WriteString("<b>Daily report</b>\n<blockquote>")
	for i := range 300 {
		fmt.Fprintf(&b, "🖥 <a href=\"https://example.com/i/%d\">web-%03d</a> &lt;us-east-1&gt; <b>%d.%02d%%</b> &amp; $%d.00\n", i, i, i%100, i%7, i)
	}
	b.WriteString("</blockquote>\n<i>end</i>")
	text := b.String()
	if utf16Units(text) < 3*MaxMessageLen {
		t.Fatalf("test text too short: %d", utf16Units(text))
	}

	parts := Split(text, "HTML", MaxMessageLen)
	if len(parts) < 4 {
		t.Fatalf("%d parts, want at least 4", len(parts))
	}
	var plain []string
	for i, p := range parts {
		if n := utf16Units(p); n > MaxMessageLen {
			t.Errorf("part %d has %d UTF-16 units", i, n)
		}
		if err := checkTelegramHTML(p); err != nil {
			t.Errorf("part %d: %v", i, err)
		}
		// Cut at line boundaries: every report line is whole in one part.
		for _, line := range strings.Split(PlainText(p), "\n") {
			if strings.HasPrefix(line, "🖥") && !strings.HasSuffix(line, ".00") {
				t.Errorf("part %d cuts a line: %q", i, line)
			}
		}
		plain = append(plain, PlainText(p))
	}
	if got, want := strings.Fields(strings.Join(plain, "\n")), strings.Fields(PlainText(text)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the parts do not read as the original")
	}
	if !strings.HasPrefix(parts[1], "<blockquote>") {
		t.Errorf("part 2 does not reopen the blockquote: %.40q", parts[1])
	}
}
