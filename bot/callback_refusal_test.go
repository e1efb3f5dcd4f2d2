package bot

import (
	"strings"
	"testing"
)

// TestUndecodableOrStaleButtonsAreRefusedPolitely: button data that does not decode, names
// a route that does not exist, or refers to something that no longer exists (an expired
// confirmation, a month or service that is not there) is answered — never an internal
// error, never a crash.
func TestUndecodableOrStaleButtonsAreRefusedPolitely(t *testing.T) {
	h := newHarness(t)
	h.start()
	menu := h.say(ownerID, ownerID, "/start")
	internal := h.tr("zh").T(msgID{"error.internal"})
	for _, data := range []string{
		"", "nocolon", ":", "zz:1", "m", "m:no-such-menu",
		"sv:dynamodb::1", "sv:ec2:mars-1:99999", "sv:ec2::-3", "sv:::",
		"b:2026-13", "b:not-a-month", "ch:7y",
		"lc:AAAAAAAAAAAAA", "la:nothing", "lk:", "ls:zz",
		"c:?", strings.Repeat("x", 64),
	} {
		answers := len(h.srv.Calls("answerCallbackQuery"))
		h.srv.PressButton(ownerID, ownerID, menu.MessageID(), data)
		h.barrier()
		if got := len(h.srv.Calls("answerCallbackQuery")); got != answers+1 {
			t.Errorf("button %q answered %d times, want once", data, got-answers)
		}
	}
	for _, c := range h.sentTo(ownerID) {
		if strings.Contains(c.Params["text"], internal) {
			t.Errorf("a bad button got an internal error: %s %v", c.Method, c.Params)
		}
	}
}
