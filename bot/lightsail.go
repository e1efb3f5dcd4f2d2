package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	costmodels "costbot/models"
)

// LightsailController stops and starts Lightsail instances for people and records who
// asked (actor: their Telegram user ID): jobs.Guard.
type LightsailController interface {
	// StopIn and StartIn act on the instance of account ("" when the guard is to find
	// the one account that has an instance of that name in region).
	StopIn(ctx context.Context, account, region, name, actor string) error
	StartIn(ctx context.Context, account, region, name, actor string) error
}

const (
	// confirmTTL is how long a stop/start confirmation button works (once).
	confirmTTL = 2 * time.Minute
	// askTTL is how long a Stop/Start button of /lightsail, or a region choice, works.
	askTTL = time.Hour
	// actionTimeout bounds one stop or start call.
	actionTimeout = time.Minute
)

// Lightsail operations a person may ask for.
const (
	opStop  = "stop"
	opStart = "start"
)

// lightsailTarget is what a Stop/Start or region button stands for (kept server-side).
type lightsailTarget struct {
	Op, Region, Name string
	// Account is the instance's account, when the button was made for one instance of
	// a listing ("" lets the guard find the one account with that name).
	Account string
}

// lightsailConfirm is a confirmation waiting for its button: only the admin who asked
// may press it, on the message it was shown in.
type lightsailConfirm struct {
	lightsailTarget
	AskedBy   int64
	ChatID    int64
	MessageID int // 0 until the prompt is sent
}

// pressedBy reports whether a press is the asking admin's, on the prompt itself.
func (c lightsailConfirm) pressedBy(r *Request) bool {
	return r.UserID == c.AskedBy && r.ChatID == c.ChatID && c.MessageID != 0 && r.MessageID == c.MessageID
}

// Renderers of the guard's pushes.
func init() {
	registerEvent(costmodels.EventLightsailWarn, renderLightsailWarn)
	registerEvent(costmodels.EventLightsailStop, renderLightsailStop)
	registerEvent(costmodels.EventLightsailStopFailed, renderLightsailStopFailed)
	registerEvent(costmodels.EventLightsailStart, renderLightsailStart)
}

// watchedInstances is every watched instance of the guard's latest stored checks in the
// scope's accounts.
func (b *Bot) watchedInstances(ctx context.Context, scope costmodels.AccountScope) ([]costmodels.LightsailTraffic, error) {
	return b.figures.LightsailInstances(ctx, scope)
}

func (b *Bot) cmdLightsail(ctx context.Context, r *Request) error {
	text, markup, err := b.showLightsail(ctx, r)
	if err != nil {
		return err
	}
	_, err = b.send(ctx, r.ChatID, text, markup)
	return err
}

// onLightsailButton is the Refresh button of /lightsail.
func (b *Bot) onLightsailButton(ctx context.Context, r *Request, _ string) error {
	text, markup, err := b.showLightsail(ctx, r)
	if err != nil {
		return err
	}
	return b.edit(ctx, r.ChatID, r.MessageID, text, markup)
}

// showLightsail lists every watched instance; admins get a Stop or Start button each.
func (b *Bot) showLightsail(ctx context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	scope, err := b.scopeOf(ctx, r)
	if err != nil {
		return "", nil, err
	}
	v, err := b.figures.Lightsail(ctx, scope, b.now())
	if err != nil {
		return "", nil, err
	}
	instances := v.Instances
	text := renderLightsailList(r.tr, instances, v.StopPercent, v.DryRun)
	if v.Billed != nil {
		if line := overageLine(r.tr, *v.Billed); line != "" {
			text += "\n\n" + line
		}
	}
	var rows [][]models.InlineKeyboardButton
	if b.mayDestroy(r) && b.deps.Lightsail != nil {
		for _, t := range instances {
			op, label := opStop, msgID{"lightsail.button_stop"}
			if t.State == "stopped" {
				op, label = opStart, msgID{"lightsail.button_start"}
			} else if t.State != "running" && t.State != "pending" {
				continue
			}
			key := b.pending.put(lightsailTarget{Op: op, Region: t.Region, Name: t.Instance, Account: t.AccountID}, askTTL)
			where := t.Region
			if sharedName(instances, t) { // the same name and region in another account
				where += " · " + t.AccountID
			}
			text := stripTags(r.tr.T(label, map[string]any{"Name": truncate(t.Instance, 28), "Region": where}))
			rows = append(rows, []models.InlineKeyboardButton{button(text, "la", key)})
		}
	}
	rows = append(rows, []models.InlineKeyboardButton{button(r.tr.T(msgID{"lightsail.refresh"}), "ls", ""), backButton(r.tr)})
	return text, &models.InlineKeyboardMarkup{InlineKeyboard: rows}, nil
}

func (b *Bot) cmdStop(ctx context.Context, r *Request) error { return b.askAction(ctx, r, opStop) }

func (b *Bot) cmdBoot(ctx context.Context, r *Request) error { return b.askAction(ctx, r, opStart) }

// askAction answers /stop NAME and /boot NAME: a confirmation for one instance, a region
// choice for a name found in several, the known names for an unknown one.
func (b *Bot) askAction(ctx context.Context, r *Request, op string) error {
	instances, err := b.watchedInstances(ctx, b.actionScope(r))
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.Args)
	known := knownNames(instances)
	if name == "" {
		usage := msgID{"lightsail.usage_stop"}
		if op == opStart {
			usage = msgID{"lightsail.usage_boot"}
		}
		_, err := b.send(ctx, r.ChatID, r.tr.T(usage, map[string]any{"Names": namesOrNone(r.tr, known)}), nil)
		return err
	}
	matches := matchInstances(instances, name)
	switch len(matches) {
	case 0:
		if hidden, err := b.inHiddenAccount(ctx, r, name); err != nil || hidden {
			if err == nil {
				_, err = b.send(ctx, r.ChatID, refuseAccount(r.tr, name), nil)
			}
			return err
		}
		_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"lightsail.unknown"}, map[string]any{"Name": truncate(name, 100), "Names": namesOrNone(r.tr, known)}), nil)
		return err
	case 1:
		text, markup, key := b.confirmPrompt(r, op, matches[0], 0)
		sent, err := b.send(ctx, r.ChatID, text, markup)
		if err == nil {
			b.pending.update(key, func(v any) any {
				c := v.(lightsailConfirm)
				c.MessageID = sent
				return c
			})
		}
		return err
	}
	var rows [][]models.InlineKeyboardButton
	for _, t := range matches {
		key := b.pending.put(lightsailTarget{Op: op, Region: t.Region, Name: t.Instance, Account: t.AccountID}, askTTL)
		label := fmt.Sprintf("%s · %s %s", t.Region, t.State, formatUsagePercent(t.Percent))
		rows = append(rows, []models.InlineKeyboardButton{button(label, "la", key)})
	}
	_, err = b.send(ctx, r.ChatID, r.tr.T(msgID{"lightsail.which_region"}, map[string]any{"Name": matches[0].Instance}),
		&models.InlineKeyboardMarkup{InlineKeyboard: rows})
	return err
}

// matchInstances finds an instance by its exact name, else ignoring case.
func matchInstances(instances []costmodels.LightsailTraffic, name string) []costmodels.LightsailTraffic {
	var exact, folded []costmodels.LightsailTraffic
	for _, t := range instances {
		switch {
		case t.Instance == name:
			exact = append(exact, t)
		case strings.EqualFold(t.Instance, name):
			folded = append(folded, t)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return folded
}

func knownNames(instances []costmodels.LightsailTraffic) []string {
	var names []string
	for _, t := range instances {
		if !slices.Contains(names, t.Instance) {
			names = append(names, t.Instance)
		}
	}
	slices.Sort(names)
	return names
}

func namesOrNone(tr translator, names []string) string {
	if len(names) == 0 {
		return stripTags(tr.T(msgID{"lightsail.none_known"}))
	}
	if len(names) > 40 {
		names = append(names[:40:40], "…")
	}
	return strings.Join(names, ", ")
}

// onAskButton is a Stop/Start button of /lightsail or a region choice: it asks for the
// confirmation.
func (b *Bot) onAskButton(ctx context.Context, r *Request, key string) error {
	v, ok := b.pending.take(key)
	target, isTarget := v.(lightsailTarget)
	if !ok || !isTarget {
		return b.edit(ctx, r.ChatID, r.MessageID, r.tr.T(msgID{"lightsail.expired"}), nil)
	}
	if _, ok, err := b.mayActOn(ctx, r, target.Account, target.Region, target.Name); err != nil || !ok {
		if err == nil {
			err = b.edit(ctx, r.ChatID, r.MessageID, refuseAccount(r.tr, target.Name), nil)
		}
		return err
	}
	instances, err := b.watchedInstances(ctx, b.actionScope(r))
	if err != nil {
		return err
	}
	t := costmodels.LightsailTraffic{AccountID: target.Account, Region: target.Region, Instance: target.Name}
	for _, in := range instances {
		if in.Region == target.Region && in.Instance == target.Name && (target.Account == "" || in.AccountID == target.Account) {
			t = in
		}
	}
	text, markup, _ := b.confirmPrompt(r, target.Op, t, r.MessageID)
	return b.edit(ctx, r.ChatID, r.MessageID, text, markup)
}

// confirmPrompt asks to confirm a stop or start with a button that works once, for
// confirmTTL, for the asking admin on the prompt's message (messageID, or set with
// pending.update once sent); key is the button's.
func (b *Bot) confirmPrompt(r *Request, op string, t costmodels.LightsailTraffic, messageID int) (string, *models.InlineKeyboardMarkup, string) {
	key := b.pending.put(lightsailConfirm{lightsailTarget: lightsailTarget{Op: op, Region: t.Region, Name: t.Instance, Account: t.AccountID},
		AskedBy: r.UserID, ChatID: r.ChatID, MessageID: messageID}, confirmTTL)
	id := msgID{"lightsail.confirm_stop"}
	if op == opStart {
		id = msgID{"lightsail.confirm_start"}
	}
	lines := []string{r.tr.T(id, map[string]any{"Name": t.Instance, "Region": t.Region, "Minutes": int(confirmTTL / time.Minute)})}
	if t.AllowanceBytes > 0 {
		lines = append(lines, usageLines(r.tr, t)...)
	}
	if op == opStart && !b.cfg.LightsailDryRun && t.Percent >= b.cfg.LightsailStopPercent {
		lines = append(lines, r.tr.T(msgID{"lightsail.confirm_over"}, map[string]any{
			"Percent": formatUsagePercent(t.Percent), "Stop": formatUsagePercent(b.cfg.LightsailStopPercent)}))
	}
	markup := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		button(r.tr.T(msgID{"lightsail.button_confirm"}), "lc", key),
		button(r.tr.T(msgID{"lightsail.button_cancel"}), "lk", key),
	}}}
	return strings.Join(lines, "\n"), markup, key
}

// takeConfirm takes the confirmation behind key when r is its asker's press on its
// prompt; anyone else's press leaves it in place and does nothing.
func (b *Bot) takeConfirm(r *Request, key string) (c lightsailConfirm, ok, foreign bool) {
	v, ok := b.pending.takeIf(key, func(v any) bool {
		c, isConfirm := v.(lightsailConfirm)
		return !isConfirm || c.pressedBy(r)
	})
	if !ok && v != nil {
		b.log.Warn("a confirmation pressed by someone other than its asker, or outside its prompt, was ignored",
			"user_id", r.UserID, "chat_id", r.ChatID, "message_id", r.MessageID)
		return c, false, true
	}
	c, isConfirm := v.(lightsailConfirm)
	return c, ok && isConfirm, false
}

// onConfirmButton runs a confirmed stop or start, once.
func (b *Bot) onConfirmButton(ctx context.Context, r *Request, key string) error {
	c, ok, foreign := b.takeConfirm(r, key)
	if foreign {
		return nil
	}
	if !ok {
		return b.edit(ctx, r.ChatID, r.MessageID, r.tr.T(msgID{"lightsail.expired"}), nil)
	}
	if b.deps.Lightsail == nil {
		return b.edit(ctx, r.ChatID, r.MessageID, r.tr.T(msgID{"lightsail.unavailable"}), nil)
	}
	account, ok, err := b.mayActOn(ctx, r, c.Account, c.Region, c.Name)
	if err != nil || !ok {
		if err == nil {
			err = b.edit(ctx, r.ChatID, r.MessageID, refuseAccount(r.tr, c.Name), nil)
		}
		return err
	}
	actCtx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	actor := strconv.FormatInt(r.UserID, 10)
	done, failed := msgID{"lightsail.stop_done"}, msgID{"lightsail.stop_failed"}
	if c.Op == opStart {
		err = b.deps.Lightsail.StartIn(actCtx, account, c.Region, c.Name, actor)
		done, failed = msgID{"lightsail.start_done"}, msgID{"lightsail.start_failed"}
	} else {
		err = b.deps.Lightsail.StopIn(actCtx, account, c.Region, c.Name, actor)
	}
	data := map[string]any{"Name": c.Name, "Region": c.Region, "UserID": r.UserID}
	text := r.tr.T(done, data)
	if err != nil {
		b.log.Error("lightsail action failed", "op", c.Op, "region", c.Region, "instance", c.Name, "user_id", r.UserID, "error", err)
		data["Error"] = truncate(Redact(err.Error(), b.cfg.TelegramToken), 300)
		text = r.tr.T(failed, data)
	}
	return b.edit(ctx, r.ChatID, r.MessageID, text, nil)
}

// onCancelButton drops a confirmation so its button no longer works.
func (b *Bot) onCancelButton(ctx context.Context, r *Request, key string) error {
	if _, _, foreign := b.takeConfirm(r, key); foreign {
		return nil
	}
	return b.edit(ctx, r.ChatID, r.MessageID, r.tr.T(msgID{"lightsail.cancelled"}), nil)
}

// sharedName reports whether another account has an instance of t's name in t's region.
func sharedName(instances []costmodels.LightsailTraffic, t costmodels.LightsailTraffic) bool {
	for _, in := range instances {
		if in.Region == t.Region && in.Instance == t.Instance && in.AccountID != t.AccountID {
			return true
		}
	}
	return false
}
