package bot

import "strings"

// decodeCallback splits a button's data "<prefix>:<payload>" as callbackData wrote it.
// The data comes from the client, so anything else (no colon, an empty prefix, more
// than Telegram's 64 bytes) is refused with an empty prefix, which no route has.
func decodeCallback(data string) (prefix, payload string, ok bool) {
	if len(data) > maxCallbackData {
		return "", "", false
	}
	prefix, payload, found := strings.Cut(data, ":")
	if !found || prefix == "" {
		return "", "", false
	}
	return prefix, payload, true
}
