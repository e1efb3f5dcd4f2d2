package bot

import "costbot/bot/tghtml"

// maxMessageLen is Telegram's limit for a message text.
const maxMessageLen = tghtml.MaxMessageLen

// splitHTML cuts Telegram HTML into parts that each fit one message and parse alone: the
// outbox's splitter, so replies and pushes are cut the same way.
func splitHTML(s string, limit int) []string { return tghtml.Split(s, "HTML", limit) }

// utf16Len is a text's length as Telegram counts it.
func utf16Len(s string) int { return tghtml.UTF16Len(s) }
