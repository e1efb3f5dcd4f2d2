package bot

import (
	"context"
	"slices"
	"strings"

	"github.com/go-telegram/bot/models"

	"costbot/config"
	costmodels "costbot/models"
)

// cmdService lists a service's active resources: /service ec2 [region]. Without a name
// it shows the service buttons; an unknown name gets the valid list.
func (b *Bot) cmdService(ctx context.Context, r *Request) error {
	fields := strings.Fields(strings.ToLower(r.Args))
	var text string
	var markup *models.InlineKeyboardMarkup
	var err error
	switch {
	case len(fields) == 0:
		text, markup, err = b.showServicePicker(ctx, r)
	case !slices.Contains(config.Services, fields[0]):
		text, markup, err = b.showServicePicker(ctx, r)
		text = r.tr.T(msgID{"service.unknown"}, map[string]any{"Name": truncate(fields[0], 40), "Valid": strings.Join(config.Services, " ")}) + "\n\n" + text
	default:
		region := ""
		if len(fields) > 1 {
			region = fields[1]
		}
		text, markup, err = b.servicePage(ctx, r, fields[0], region, 1)
	}
	if err != nil {
		return err
	}
	_, err = b.send(ctx, r.ChatID, text, markup)
	return err
}

// onServiceButton pages, filters and picks: payload "service:region:page", or "" for
// the service buttons.
func (b *Bot) onServiceButton(ctx context.Context, r *Request, payload string) error {
	service, region, page := parseServicePayload(payload)
	var text string
	var markup *models.InlineKeyboardMarkup
	var err error
	if slices.Contains(config.Services, service) {
		text, markup, err = b.servicePage(ctx, r, service, region, page)
	} else {
		text, markup, err = b.showServicePicker(ctx, r)
	}
	if err != nil {
		return err
	}
	return b.edit(ctx, r.ChatID, r.MessageID, text, markup)
}

// showServicePicker is the menu's Services button and /service without a name.
func (b *Bot) showServicePicker(ctx context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	accts, err := b.accountsOf(ctx, r.ChatID)
	if err != nil {
		return "", nil, err
	}
	counts, err := b.figures.ActiveCounts(ctx, accts.Scope())
	if err != nil {
		return "", nil, err
	}
	return withScopeLine(r.tr.T(msgID{"service.pick"}), scopeLine(r.tr, accts)), servicePicker(r.tr, b.cfg.CostServices, counts), nil
}

// servicePage reads one page; a page past the end shows the last one.
func (b *Bot) servicePage(ctx context.Context, r *Request, service, region string, page int) (string, *models.InlineKeyboardMarkup, error) {
	accts, err := b.accountsOf(ctx, r.ChatID)
	if err != nil {
		return "", nil, err
	}
	p, err := b.figures.Service(ctx, accts.Scope(), costmodels.ResourceQuery{Service: service, Region: region, Limit: servicePageSize}, page)
	if err != nil {
		return "", nil, err
	}
	v := serviceView{Service: service, Region: region, Regions: p.Regions, Page: p.Page, Pages: p.Pages, Total: p.Total,
		Offset: p.Query.Offset, Rows: p.Rows, Unpriced: p.Unpriced}
	return withScopeLine(renderServicePage(r.tr, v), scopeLine(r.tr, accts)), serviceKeyboard(r.tr, v), nil
}
