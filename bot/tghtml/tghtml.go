// Package tghtml is Telegram's HTML parse mode as costbot sends it: how long a text is as
// Telegram counts it, how to cut a long one into parts that each parse alone, and what
// a reader sees of it as plain text.
package tghtml

import (
	"html"
	"strings"
	"unicode/utf8"
)

// MaxMessageLen is Telegram's limit for one message text, in UTF-16 code units.
const MaxMessageLen = 4096

// telegramTags are the tags Telegram's HTML parse mode knows. Anything else that looks
// like a tag is text to Telegram (and makes it refuse the message).
var telegramTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "tg-emoji": true, "code": true, "pre": true, "blockquote": true,
	"tg-time": true,
}

// PlainText turns Telegram HTML into the text a reader would see: Telegram's tags are
// removed and entities unescaped. It is how a message Telegram could not parse is still
// delivered.
func PlainText(s string) string {
	var b strings.Builder
	for _, tok := range tokenize(s, true) {
		if tok.tag == "" || !telegramTags[tok.tag] {
			b.WriteString(tok.text)
		}
	}
	return html.UnescapeString(b.String())
}

// Split cuts text into parts of at most limit UTF-16 units (Telegram counts the
// parsed text; counting the raw HTML, tags included, stays on the safe side). It cuts
// at a line break where it can, else at a space, else between characters; never inside
// a tag or an entity. In HTML (parseMode "HTML"), tags open at a cut are closed at the
// end of the part and opened again at the start of the next, so every part parses alone.
func Split(text, parseMode string, limit int) []string {
	if limit <= 0 || UTF16Len(text) <= limit {
		return []string{text}
	}
	toks := tokenize(text, parseMode == "HTML")
	var parts []string
	var stack []token // tags open at start
	start := 0
	for start < len(toks) {
		prefix := openingTags(stack)
		n := UTF16Len(prefix)
		open := append([]token(nil), stack...)
		// The best places to cut seen so far: after a line break, after a space.
		lineCut, spaceCut := cutPoint{at: -1}, cutPoint{at: -1}
		end := len(toks)
		for i := start; i < len(toks); i++ {
			t := toks[i]
			next := applyTag(open, t)
			if n+t.len+closingLen(next) > limit && i > start {
				end = i
				break
			}
			n += t.len
			open = next
			switch t.text {
			case "\n":
				lineCut = cutPoint{at: i, len: n, open: append([]token(nil), open...)}
			case " ":
				spaceCut = cutPoint{at: i, len: n, open: append([]token(nil), open...)}
			}
		}
		if end == len(toks) {
			parts = append(parts, prefix+joinTokens(toks[start:]))
			break
		}
		cut := cutPoint{at: end, open: open, hard: true}
		switch {
		case lineCut.at >= 0 && lineCut.len >= limit/2:
			cut = lineCut
		case spaceCut.at >= 0 && spaceCut.len >= limit/2:
			cut = spaceCut
		case lineCut.at > start:
			cut = lineCut
		case spaceCut.at > start:
			cut = spaceCut
		}
		if cut.hard {
			parts = append(parts, prefix+joinTokens(toks[start:cut.at])+closingTags(cut.open))
			start = cut.at
		} else {
			// The line break or space at the cut is not kept.
			parts = append(parts, prefix+joinTokens(toks[start:cut.at])+closingTags(cut.open))
			start = cut.at + 1
		}
		stack = cut.open
		for start < len(toks) && toks[start].text == "\n" {
			start++
		}
		if strings.TrimSpace(PlainText(joinTokens(toks[start:]))) == "" {
			break
		}
	}
	return parts
}

// cutPoint is a place Split may cut: before token at, with the tags open there.
type cutPoint struct {
	at   int
	len  int
	open []token
	hard bool
}

// token is a whole tag, a whole entity, or one character.
type token struct {
	text string
	len  int    // UTF-16 units
	tag  string // lower-case tag name, for tags
	end  bool   // a closing tag
}

func tokenize(s string, htmlMode bool) []token {
	var toks []token
	for i := 0; i < len(s); {
		t := nextToken(s[i:], htmlMode)
		i += len(t.text)
		toks = append(toks, t)
	}
	return toks
}

func nextToken(s string, htmlMode bool) token {
	if htmlMode {
		switch s[0] {
		case '<':
			if name, closing, n := scanTag(s); n > 0 {
				return token{text: s[:n], len: UTF16Len(s[:n]), tag: name, end: closing}
			}
		case '&':
			if n := scanEntity(s); n > 0 {
				return token{text: s[:n], len: n}
			}
		}
	}
	r, size := utf8.DecodeRuneInString(s)
	l := 1
	if r >= 0x10000 {
		l = 2
	}
	return token{text: s[:size], len: l}
}

// scanTag recognises <name ...> and </name> at the start of s.
func scanTag(s string) (name string, closing bool, n int) {
	i := 1
	if i < len(s) && s[i] == '/' {
		closing = true
		i++
	}
	nameStart := i
	for i < len(s) && (isASCIILetter(s[i]) || s[i] == '-' || (i > nameStart && s[i] >= '0' && s[i] <= '9')) {
		i++
	}
	if i == nameStart {
		return "", false, 0
	}
	name = strings.ToLower(s[nameStart:i])
	end := strings.IndexAny(s[i:], "<>")
	if end < 0 || s[i+end] != '>' {
		return "", false, 0
	}
	return name, closing, i + end + 1
}

// scanEntity recognises &name; &#123; and &#x1F; at the start of s.
func scanEntity(s string) int {
	for i := 1; i < len(s) && i <= 32; i++ {
		c := s[i]
		switch {
		case c == ';':
			if i > 1 {
				return i + 1
			}
			return 0
		case isASCIILetter(c) || (c >= '0' && c <= '9') || (c == '#' && i == 1):
		default:
			return 0
		}
	}
	return 0
}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// applyTag returns the open-tag stack after t.
func applyTag(open []token, t token) []token {
	if t.tag == "" {
		return open
	}
	if !t.end {
		return append(open[:len(open):len(open)], t)
	}
	for j := len(open) - 1; j >= 0; j-- {
		if open[j].tag == t.tag {
			return open[:j:j]
		}
	}
	return open
}

func openingTags(open []token) string {
	var b strings.Builder
	for _, t := range open {
		b.WriteString(t.text)
	}
	return b.String()
}

func closingTags(open []token) string {
	var b strings.Builder
	for j := len(open) - 1; j >= 0; j-- {
		b.WriteString("</" + open[j].tag + ">")
	}
	return b.String()
}

func closingLen(open []token) int {
	n := 0
	for _, t := range open {
		n += len(t.tag) + 3
	}
	return n
}

func joinTokens(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.text)
	}
	return b.String()
}

// UTF16Len is a text's length as Telegram counts it, in UTF-16 code units.
func UTF16Len(s string) int {
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
