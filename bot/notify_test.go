package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"

	costmodels "costbot/models"
)

type testAlert struct{ Name string }

func init() {
	registerEvent("test.alert", func(tr translator, data any) (string, error) {
		a, ok := data.(testAlert)
		if !ok {
			return "", fmt.Errorf("test.alert: unexpected %T", data)
		}
		return tr.T(msgID{"menu.status"}) + ": " + a.Name, nil
	})
}

// notifier is a Notifier over the harness's settings and store; queued may be nil.
func (h *harness) notifier(queued func()) *Notifier {
	h.t.Helper()
	n, err := NewNotifier(h.cfg, h.store, queued, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestNotifyQueuesOncePerChatInItsLanguage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.store.SetChatLang(ctx, ownerID, "en"); err != nil {
		t.Fatal(err)
	}
	queued := 0
	n := h.notifier(func() { queued++ })
	ev := costmodels.Event{Kind: "test.alert", Key: "2026-11/i-1", Data: testAlert{Name: "web<1>"}}
	for range 2 { // raised twice (a retry): still one message per chat
		if err := n.Notify(ctx, ev); err != nil {
			t.Fatalf("Notify: %v", err)
		}
	}
	if queued != 2 {
		t.Errorf("queued called %d times, want 2", queued)
	}
	due, err := h.store.DueMessages(ctx, h.clock.Now().Add(1<<40), 100)
	if err != nil {
		t.Fatal(err)
	}
	byChat := map[int64]string{}
	for _, m := range due {
		if _, dup := byChat[m.ChatID]; dup {
			t.Fatalf("chat %d got the event twice", m.ChatID)
		}
		byChat[m.ChatID] = m.Text
	}
	if len(byChat) != 2 {
		t.Fatalf("queued for %d chats, want 2: %v", len(byChat), byChat)
	}
	if want := h.tr("en").T(msgID{"menu.status"}); !strings.HasPrefix(byChat[ownerID], want) {
		t.Errorf("owner chat (en) got %q, want it to start with %q", byChat[ownerID], want)
	}
	if want := h.tr("zh").T(msgID{"menu.status"}); !strings.HasPrefix(byChat[groupID], want) {
		t.Errorf("group chat (zh default) got %q, want it to start with %q", byChat[groupID], want)
	}

	// A blocked chat is skipped.
	if err := h.store.SetChatBlocked(ctx, groupID, true); err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(ctx, costmodels.Event{Kind: "test.alert", Key: "other", Data: testAlert{Name: "x"}}); err != nil {
		t.Fatal(err)
	}
	due, _ = h.store.DueMessages(ctx, h.clock.Now().Add(1<<40), 100)
	for _, m := range due {
		if m.ChatID == groupID && strings.HasSuffix(m.Text, ": x") {
			t.Errorf("blocked chat got a new event")
		}
	}

	if err := n.Notify(ctx, costmodels.Event{Kind: "no.such.kind"}); err == nil {
		t.Error("an unknown event kind must be an error, not a silent nothing")
	}
}

func TestWritingAgainUnblocksAChat(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.store.SetChatBlocked(ctx, ownerID, true); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.say(ownerID, ownerID, "/help")
	blocked, err := h.store.BlockedChats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocked) != 0 {
		t.Errorf("blocked chats after the owner wrote again = %v, want none", blocked)
	}
	if was, err := h.store.UnblockChat(ctx, ownerID); err != nil || was {
		t.Errorf("UnblockChat on an unblocked chat = %v, %v", was, err)
	}
}
