package bot

import (
	"strings"
	"unicode/utf8"
)

// maxMessageLen is Telegram's limit for a message text. Telegram counts UTF-16 code
// units of the parsed text; counting the raw HTML, tags included, stays on the safe side.
const maxMessageLen = 4096

// openTag is an HTML tag still open at some point of the text.
type openTag struct {
	name string // "b", "a", ...
	raw  string // the opening tag as written, to reopen it in the next part
}

// splitHTML cuts Telegram HTML into parts of at most limit UTF-16 units, preferring
// line breaks, never inside a tag or an entity. A tag open at a cut is closed at the
// end of the part and reopened at the start of the next, so every part parses alone.
func splitHTML(s string, limit int) []string {
	if utf16Len(s) <= limit {
		return []string{s}
	}
	var parts []string
	var stack []openTag // tags open at the current position
	var cur strings.Builder
	curLen := 0
	// the last line break in cur: where to cut, and the tags open there
	lineCut, lineLen := -1, 0
	var lineStack []openTag

	closing := func(tags []openTag) string {
		var b strings.Builder
		for i := len(tags) - 1; i >= 0; i-- {
			b.WriteString("</" + tags[i].name + ">")
		}
		return b.String()
	}
	reopening := func(tags []openTag) string {
		var b strings.Builder
		for _, t := range tags {
			b.WriteString(t.raw)
		}
		return b.String()
	}
	flush := func(cut int, tags []openTag) {
		text := cur.String()
		head, rest := text[:cut], text[cut:]
		parts = append(parts, strings.TrimRight(head, "\n")+closing(tags))
		rest = reopening(tags) + strings.TrimLeft(rest, "\n")
		cur.Reset()
		cur.WriteString(rest)
		curLen = utf16Len(rest)
		lineCut = -1
	}

	for i := 0; i < len(s); {
		tok := nextToken(s[i:])
		i += len(tok)
		tokLen := utf16Len(tok)
		if curLen+tokLen+utf16Len(closing(stack)) > limit && cur.Len() > len(reopening(stack)) {
			if lineCut > 0 && lineLen > 0 {
				flush(lineCut, lineStack)
			} else {
				flush(cur.Len(), stack)
			}
		}
		cur.WriteString(tok)
		curLen += tokLen
		switch {
		case strings.HasPrefix(tok, "</"):
			name := tagName(tok[2:])
			for j := len(stack) - 1; j >= 0; j-- {
				if stack[j].name == name {
					stack = stack[:j]
					break
				}
			}
		case strings.HasPrefix(tok, "<") && len(tok) > 1:
			stack = append(stack, openTag{name: tagName(tok[1:]), raw: tok})
		case tok == "\n":
			lineCut, lineLen = cur.Len(), curLen
			lineStack = append(lineStack[:0:0], stack...)
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		parts = append(parts, cur.String())
	}
	return parts
}

// nextToken returns a whole tag, a whole entity, or one character.
func nextToken(s string) string {
	switch s[0] {
	case '<':
		if end := strings.IndexByte(s, '>'); end > 0 {
			return s[:end+1]
		}
	case '&':
		if end := strings.IndexByte(s, ';'); end > 0 && end <= 10 {
			return s[:end+1]
		}
	}
	_, size := utf8.DecodeRuneInString(s)
	return s[:size]
}

func tagName(s string) string {
	end := strings.IndexAny(s, " >\t\n/")
	if end < 0 {
		end = len(s)
	}
	return strings.ToLower(s[:end])
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
