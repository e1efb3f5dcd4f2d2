package bot

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"git.sr.ht/~sbinet/gg"
	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"costbot/config"
	"costbot/figures"
	costmodels "costbot/models"
)

// Chart kinds, as /chart takes them.
const (
	chart24h = "24h"
	chart30d = "30d"
	chart12m = "12m"
)

var chartKinds = []string{chart24h, chart30d, chart12m}

// The PNG's size. gonum's fonts have no CJK glyphs, so text inside the image is ASCII;
// the caption carries the chat's language.
const (
	chartWidthPx  = 1000
	chartHeightPx = 600
	chartDPI      = 96
)

// cmdChart sends a cost chart: /chart 24h|30d|12m; without an argument, buttons.
func (b *Bot) cmdChart(ctx context.Context, r *Request) error {
	kind := strings.ToLower(strings.TrimSpace(r.Args))
	if kind == "" {
		text, markup, err := b.showChartPicker(ctx, r)
		if err != nil {
			return err
		}
		_, err = b.send(ctx, r.ChatID, text, markup)
		return err
	}
	if !slices.Contains(chartKinds, kind) {
		text := r.tr.T(msgID{"chart.usage"}, map[string]any{"Arg": truncate(kind, 40), "Valid": strings.Join(chartKinds, " | ")})
		_, err := b.send(ctx, r.ChatID, text, chartPicker(r.tr))
		return err
	}
	return b.sendChart(ctx, r, kind)
}

// onChartButton sends the chart as a new photo message: a text message cannot become one.
func (b *Bot) onChartButton(ctx context.Context, r *Request, kind string) error {
	if !slices.Contains(chartKinds, kind) {
		return nil // a button from an older version; the press was answered
	}
	return b.sendChart(ctx, r, kind)
}

// showChartPicker is the menu's Charts button and /chart without an argument.
func (b *Bot) showChartPicker(_ context.Context, r *Request) (string, *models.InlineKeyboardMarkup, error) {
	return r.tr.T(msgID{"chart.pick"}), chartPicker(r.tr), nil
}

func chartPicker(tr translator) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
		{
			button(tr.T(msgID{"chart.button.24h"}), "ch", chart24h),
			button(tr.T(msgID{"chart.button.30d"}), "ch", chart30d),
			button(tr.T(msgID{"chart.button.12m"}), "ch", chart12m),
		},
		{backButton(tr)},
	}}
}

func (b *Bot) sendChart(ctx context.Context, r *Request, kind string) error {
	now := b.now()
	accts, err := b.accountsOf(ctx, r.ChatID)
	if err != nil {
		return err
	}
	scope := accts.Scope()
	fs, err := b.chartSeries(ctx, kind, now, scope)
	if err != nil {
		return err
	}
	series := chartOf(kind, fs)
	if series.Empty() {
		_, err := b.send(ctx, r.ChatID, r.tr.T(msgID{"chart.no_data"}), nil)
		return err
	}
	png, err := renderChart(kind, series, now)
	if err != nil {
		return fmt.Errorf("chart %s: %w", kind, err)
	}
	_, err = b.api.SendPhoto(ctx, &tgbot.SendPhotoParams{
		ChatID:    r.ChatID,
		Photo:     &models.InputFileUpload{Filename: "cost-" + kind + ".png", Data: bytes.NewReader(png)},
		Caption:   withScopeLine(renderChartCaption(r.tr, kind, series, now, b.cfg.ReportTZ, fs.Unpriced), scopeLine(r.tr, accts)),
		ParseMode: models.ParseModeHTML,
	})
	if err != nil {
		return redactErr(fmt.Errorf("send chart %s to chat %d: %w", kind, r.ChatID, err), b.cfg.TelegramToken)
	}
	return nil
}

// renderChartCaption says what the chart shows and, when some resources had no price in
// the period, how many the chart leaves out.
func renderChartCaption(tr translator, kind string, s chartSeries, now time.Time, tz *time.Location, unpriced map[string]int) string {
	data := map[string]any{"Total": formatUSD(s.Total()), "Until": formatTime(now, tz)}
	var caption string
	switch kind {
	case chart24h:
		caption = tr.T(msgID{"chart.caption.24h"}, data)
	case chart30d:
		caption = tr.T(msgID{"chart.caption.30d"}, data)
	default:
		caption = tr.T(msgID{"chart.caption.12m"}, data)
	}
	n := 0
	for _, c := range unpriced {
		n += c
	}
	if n > 0 {
		caption += "\n" + tr.T(msgID{"chart.unpriced"}, map[string]any{"Count": n})
	}
	return caption
}

// chartSeries reads a chart's data: the last 24 hours up to now's hour, the last 30 days
// (of REPORT_TZ) up to today, or the last 12 (UTC) months up to this one.
func (b *Bot) chartSeries(ctx context.Context, kind string, now time.Time, scope costmodels.AccountScope) (figures.Series, error) {
	switch kind {
	case chart24h:
		return b.figures.HourlySeries(ctx, scope, now.UTC().Truncate(time.Hour).Add(time.Hour))
	case chart30d:
		return b.figures.DailySeries(ctx, scope, now)
	default:
		return b.figures.MonthlySeries(ctx, scope, now)
	}
}

// chartOf is a series as a chart draws it, with the labels of kind's buckets: hours in
// REPORT_TZ, days, months.
func chartOf(kind string, fs figures.Series) chartSeries {
	labels := make([]string, len(fs.Buckets))
	for i, t := range fs.Buckets {
		switch kind {
		case chart24h:
			labels[i] = t.In(fs.Loc).Format("15:04")
		case chart30d:
			labels[i] = t.Format("01-02")
		default:
			labels[i] = t.Format("Jan\n2006")
		}
	}
	if kind != chart12m {
		labels = sparseLabels(labels)
	}
	return chartSeries{Loc: fs.Loc, Labels: labels, Services: fs.Services, Values: fs.Values}
}

// chartSeries is one chart's data: a cost per service per bucket.
type chartSeries struct {
	Loc      *time.Location // the zone of the buckets, named on the X axis
	Labels   []string       // one per bucket, oldest first; "" leaves a tick unlabelled
	Services []string       // stacked from the bottom: highest total first
	Values   [][]float64    // Values[i][j] is Services[i] in bucket j
}

func (s chartSeries) Empty() bool { return len(s.Services) == 0 }

func (s chartSeries) Total() float64 {
	var t float64
	for _, vs := range s.Values {
		for _, v := range vs {
			t += v
		}
	}
	return t
}

// sparseLabels blanks labels so that at most about 12 show.
func sparseLabels(labels []string) []string {
	every := (len(labels) + 11) / 12
	for i := range labels {
		if every > 1 && (len(labels)-1-i)%every != 0 {
			labels[i] = ""
		}
	}
	return labels
}

// serviceColors keeps a service's color the same in every chart.
var serviceColors = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255}, {0, 0, 128, 255}, {128, 128, 0, 255},
}

func serviceColor(service string) color.RGBA {
	if i := slices.Index(config.Services, service); i >= 0 && i < len(serviceColors) {
		return serviceColors[i]
	}
	return color.RGBA{90, 90, 90, 255}
}

// dollarTicks labels the Y axis in dollars.
type dollarTicks struct{}

func (dollarTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = "$" + ticks[i].Label
		}
	}
	return ticks
}

// renderChart draws series as stacked bars per service, with the legend beside the
// plot, as a chartWidthPx × chartHeightPx PNG. Text is ASCII only.
func renderChart(kind string, s chartSeries, now time.Time) ([]byte, error) {
	if s.Empty() || len(s.Labels) == 0 {
		return nil, fmt.Errorf("no data to draw")
	}
	loc := s.Loc
	if loc == nil {
		loc = time.UTC
	}
	p := plot.New()
	switch kind {
	case chart24h:
		p.Title.Text = "AWS cost per hour, last 24 hours"
		p.X.Label.Text = "hour (" + loc.String() + ")"
	case chart30d:
		p.Title.Text = "AWS cost per day, last 30 days"
		p.X.Label.Text = "day (" + loc.String() + ")"
	case chart12m:
		p.Title.Text = "AWS bill per month, last 12 months"
		p.X.Label.Text = "month (UTC)"
	default:
		return nil, fmt.Errorf("unknown chart kind %q", kind)
	}
	p.Title.Text += "\nas of " + now.In(loc).Format("2006-01-02 15:04 MST")
	p.Y.Label.Text = "USD"
	p.Y.Tick.Marker = dollarTicks{}
	p.Y.Min = 0
	p.Add(plotter.NewGrid())

	width := vg.Length(chartWidthPx) * vg.Inch / chartDPI
	const legendWidth = vg.Length(110)
	plotWidth := width - legendWidth - 80 // less the Y axis and margins
	barWidth := plotWidth / vg.Length(len(s.Labels)) * 0.8

	legend := plot.NewLegend()
	legend.Top, legend.Left, legend.Padding = true, true, 2
	var below *plotter.BarChart
	var bars []*plotter.BarChart
	for i, service := range s.Services {
		bar, err := plotter.NewBarChart(plotter.Values(s.Values[i]), barWidth)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %s bars: %w", kind, service, err)
		}
		bar.Color = serviceColor(service)
		bar.LineStyle.Width = 0
		if below != nil {
			bar.StackOn(below)
		}
		below = bar
		bars = append(bars, bar)
		p.Add(bar)
	}
	// The legend lists the top of the stack first, as the bars show it.
	for i := len(bars) - 1; i >= 0; i-- {
		legend.Add(serviceName(s.Services[i]), bars[i])
	}
	p.NominalX(s.Labels...)
	var peak float64
	for j := range s.Labels {
		var stacked float64
		for i := range s.Services {
			stacked += s.Values[i][j]
		}
		peak = math.Max(peak, stacked)
	}
	p.Y.Max = peak * 1.08

	img := chartImages.Get().(*image.RGBA)
	defer chartImages.Put(img)
	// vgimg would copy its image into a context of its own; drawing straight into img
	// needs what it sets up on that context: butt line caps and Y growing upwards.
	gc := gg.NewContextForRGBA(img)
	gc.SetLineCapButt()
	gc.InvertY()
	canvas := vgimg.NewWith(vgimg.UseImageWithContext(img, gc), vgimg.UseDPI(chartDPI)) // painted white first
	dc := draw.New(canvas)
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	legend.Draw(draw.Crop(dc, width-legendWidth+8, 0, 0, -50))

	var buf bytes.Buffer
	if err := chartEncoder.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("chart %s: encode png: %w", kind, err)
	}
	return buf.Bytes(), nil
}

// chartImages keeps the pixels of a finished chart for the next one, so that a chart
// does not allocate 2.4 MB for the garbage collector to reclaim while replies wait.
var chartImages = sync.Pool{New: func() any { return image.NewRGBA(image.Rect(0, 0, chartWidthPx, chartHeightPx)) }}

// chartEncoder writes charts at zlib's fastest level, which compresses flat colors on
// white almost as well as the default level in half the time, and reuses its buffers.
var chartEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngBuffers{}}

// pngBuffers is a png.EncoderBufferPool on a sync.Pool.
type pngBuffers struct{ pool sync.Pool }

func (p *pngBuffers) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngBuffers) Put(b *png.EncoderBuffer) { p.pool.Put(b) }
