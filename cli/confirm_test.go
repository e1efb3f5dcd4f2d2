package cli

import (
	"strings"
	"testing"
	"time"

	"costbot/internal/tgtest"
)

// lsAdmin2 is a second admin, also in the allowed group.
const lsAdmin2 = 3003

// A Stop confirmation works only for the admin who asked, on the prompt it was shown
// in: the same button data pressed by another admin, or by the asker in another chat,
// does nothing and leaves the confirmation to its owner.
func TestConfirmationIsBoundToItsAskerAndMessage(t *testing.T) {
	now := time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)
	w := newLightsailWorld(t, now)
	w.ls.AddUsedInstance("us-east-1", "web", now, 40)
	w.check()

	ask := w.say(lsOwner, lsOwner, "/stop web") // in the owner's private chat
	confirm := buttonData(t, ask, "lc:")
	cancel := buttonData(t, ask, "lk:")
	if len(confirm) != 1 || len(cancel) != 1 {
		t.Fatalf("/stop web answered %q with %v", ask.Params["text"], ask.Keyboard())
	}
	inGroup := w.say(lsGroup, lsAdmin2, "/help") // any message of the bot's in the group

	attempts := []struct {
		name   string
		chat   int64
		user   int64
		onMsg  string
		button string
	}{
		{"another admin, in the group", lsGroup, lsAdmin2, "group", confirm[0]},
		{"the asker, in the group", lsGroup, lsOwner, "group", confirm[0]},
		{"another admin cancels, in the group", lsGroup, lsAdmin2, "group", cancel[0]},
		{"another admin, on the prompt itself", lsOwner, lsAdmin2, "prompt", confirm[0]},
		{"the asker, on another message of the chat", lsOwner, lsOwner, "other", confirm[0]},
	}
	other := w.say(lsOwner, lsOwner, "/help")
	for _, a := range attempts {
		msgID := map[string]int{"group": inGroup.MessageID(), "prompt": ask.MessageID(), "other": other.MessageID()}[a.onMsg]
		edits := len(w.srv.Calls("editMessageText"))
		sends := len(w.srv.Calls("sendMessage"))
		id := w.srv.PressButton(a.chat, a.user, msgID, a.button)
		w.srv.WaitCall(t, "answerCallbackQuery", func(c tgtest.Call) bool { return c.Params["callback_query_id"] == id }, lsWait)
		w.say(lsOwner, lsOwner, "/help") // one worker: the press has been handled by its answer
		if n := w.stopCalls("web"); n != 0 {
			t.Fatalf("%s: the press stopped the instance", a.name)
		}
		if e := len(w.srv.Calls("editMessageText")); e != edits {
			t.Errorf("%s: the press edited a message", a.name)
		}
		if s := len(w.srv.Calls("sendMessage")); s != sends+1 { // +1: the /help
			t.Errorf("%s: the press sent %d messages", a.name, s-sends-1)
		}
	}

	// The asker, on the prompt: still works, once.
	_, done := w.press(lsOwner, lsOwner, ask, confirm[0], true)
	if !strings.Contains(done.Params["text"], "accepted") || w.stopCalls("web") != 1 {
		t.Fatalf("the asker's press: %q, StopInstance %d", done.Params["text"], w.stopCalls("web"))
	}
}
