// Package pricing turns the facts collectors report into dollars: it asks the AWS Price
// List API (GetProducts, served from us-east-1) for on-demand prices, keeps them in the
// store's price cache, falls back to built-in list prices when the API cannot answer,
// and applies tiers and free allowances to month-to-date usage.
//
// PriceScan is the one way to price resources. Every figure says where its price came
// from: api, cache or fallback; a resource nothing can price is Priced: false, never $0.
package pricing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"costbot/config"
	"costbot/models"
)

// Options tune a Pricer. Zero values take the defaults: TTL 4h, FreeTier always,
// Now time.Now, Concurrency 4, no logging.
type Options struct {
	TTL         time.Duration
	FreeTier    string
	Now         func() time.Time
	Concurrency int
	Logger      *slog.Logger
}

// Pricer prices resources. It is safe for concurrent use.
type Pricer struct {
	store    *models.Store
	api      GetProductsAPI
	ttl      time.Duration
	now      func() time.Time
	limit    int
	log      *slog.Logger
	allow    Allowances
	flights  singleflight.Group
	calls    atomic.Int64
	requests atomic.Int64
	// downUntil (unix ns) is when the Pricing API may be asked again after a failure.
	downUntil atomic.Int64
}

// New builds a Pricer over the store's price cache. store may be nil (no cache) and api
// may be nil (fallback prices only).
func New(store *models.Store, api GetProductsAPI, opts Options) *Pricer {
	p := &Pricer{store: store, api: api, ttl: opts.TTL, now: opts.Now, limit: opts.Concurrency, log: opts.Logger}
	if p.ttl <= 0 {
		p.ttl = 4 * time.Hour
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.limit <= 0 {
		p.limit = 4
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	mode := opts.FreeTier
	if mode == "" {
		mode = config.FreeTierAlways
	}
	p.allow = AllowancesFor(mode)
	return p
}

// Calls is how many price lookups went to the Pricing API (one per price key, however
// many pages it took).
func (p *Pricer) Calls() int64 { return p.calls.Load() }

// Requests is how many GetProducts requests (pages) were sent.
func (p *Pricer) Requests() int64 { return p.requests.Load() }

// resolved is the answer for one price key.
type resolved struct {
	products []Product
	source   string // api or cache; "" when neither answered
	err      error
}

// apiDownFor is how long the Pricing API is left alone after a failed call (the SDK has
// already retried it): a scan with the API unreachable falls back at once instead of
// waiting out retries for every price key.
const apiDownFor = 5 * time.Minute

func (p *Pricer) apiDown() bool {
	until := p.downUntil.Load()
	return until != 0 && p.now().UnixNano() < until
}

func (p *Pricer) markAPIDown() { p.downUntil.Store(p.now().Add(apiDownFor).UnixNano()) }

// errNoProducts is an API answer without any product.
var errNoProducts = errors.New("no products match")

// resolve answers a lookup from the cache when it is younger than the TTL, otherwise
// from the API (writing the cache), otherwise from a stale cache entry. Concurrent
// resolutions of the same key share one API call.
func (p *Pricer) resolve(ctx context.Context, l Lookup) resolved {
	key := l.Key()
	v, _, _ := p.flights.Do(key, func() (any, error) {
		var stale []Product
		if p.store != nil {
			value, fetchedAt, ok, err := p.store.CachedPrice(ctx, key)
			switch {
			case err != nil:
				p.log.Warn("price cache read failed", "key", key, "err", err)
			case ok:
				var prods []Product
				if err := json.Unmarshal([]byte(value), &prods); err != nil {
					p.log.Warn("price cache entry unreadable", "key", key, "err", err)
				} else if p.now().Sub(fetchedAt) < p.ttl {
					if len(prods) == 0 {
						// The API said recently that nothing matches: don't ask again yet.
						return resolved{err: fmt.Errorf("pricing %s: %w (cached)", key, errNoProducts)}, nil
					}
					return resolved{products: prods, source: models.SourceCache}, nil
				} else if len(prods) > 0 {
					stale = prods
				}
			}
		}
		if p.api == nil || p.apiDown() {
			if stale != nil {
				return resolved{products: stale, source: models.SourceCache}, nil
			}
			return resolved{err: errors.New("no Pricing API client")}, nil
		}
		p.calls.Add(1)
		pages := 0
		prods, err := fetchProducts(ctx, p.api, l, &pages)
		p.requests.Add(int64(pages))
		if err == nil && len(prods) == 0 {
			err = fmt.Errorf("pricing %s: %w", key, errNoProducts)
			// Remember the empty answer for the TTL too, so a price AWS does not list
			// costs one call per TTL, not one per scan.
			if p.store != nil {
				if perr := p.store.PutPrice(ctx, key, "[]", p.now()); perr != nil {
					p.log.Warn("price cache write failed", "key", key, "err", perr)
				}
			}
		}
		if err == nil {
			if p.store != nil {
				if b, merr := json.Marshal(prods); merr == nil {
					if perr := p.store.PutPrice(ctx, key, string(b), p.now()); perr != nil {
						p.log.Warn("price cache write failed", "key", key, "err", perr)
					}
				}
			}
			return resolved{products: prods, source: models.SourceAPI}, nil
		}
		if !errors.Is(err, errNoProducts) && ctx.Err() == nil {
			p.markAPIDown()
		}
		p.log.Warn("pricing lookup failed", "key", key, "err", err)
		if stale != nil {
			return resolved{products: stale, source: models.SourceCache, err: err}, nil
		}
		return resolved{err: err}, nil
	})
	return v.(resolved)
}

// PriceScan prices one hour of the given resources. mtd is the account-wide usage of
// flow meters this month before the hour (nil: none yet), raised to the month so far
// the resources carry when their scan read it; it is not modified, and the state after
// the hour is returned for the next call. Each distinct price key is looked
// up once, with bounded concurrency. The error is only ever the context's.
func (p *Pricer) PriceScan(ctx context.Context, rs []models.Resource, mtd *MonthToDate) ([]models.PricedResource, *MonthToDate, error) {
	if mtd == nil {
		mtd = NewMonthToDate(p.now())
	}
	at := p.now()
	mtd = seedMonthSoFar(rs, mtd, p.allow, at)
	plans := make([]plan, len(rs))
	var charges []*pricedCharge
	lookups := map[string]Lookup{}
	for i, r := range rs {
		plans[i] = planResource(r, mtd, at)
		for _, c := range plans[i].charges {
			pc := &pricedCharge{resource: i, charge: c}
			charges = append(charges, pc)
			if c.price.lookup != nil && !(c.optional && c.qty == 0) {
				lookups[c.price.lookup.Key()] = *c.price.lookup
			}
		}
	}

	answers := make(map[string]resolved, len(lookups))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.limit)
	for key, l := range lookups {
		g.Go(func() error {
			res := p.resolve(gctx, l)
			mu.Lock()
			answers[key] = res
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}

	for _, c := range charges {
		if c.optional && c.qty == 0 {
			continue
		}
		switch {
		case c.price.fixed != nil:
			c.rate, c.source, c.ok = *c.price.fixed, c.price.fixedSource, true
		case c.price.lookup != nil:
			if res := answers[c.price.lookup.Key()]; len(res.products) > 0 && c.price.pick != nil {
				if rate, ok := c.price.pick(res.products); ok {
					c.rate, c.source, c.ok = perUnitOf(c.kind, rate), res.source, true
				}
			}
		}
		if !c.ok && c.price.fallback != nil {
			if rate, ok := c.price.fallback(); ok {
				c.rate, c.source, c.ok = rate, models.SourceFallback, true
			}
		}
	}

	next := meterCosts(charges, mtd, p.allow)

	out := make([]models.PricedResource, len(rs))
	byResource := make([][]*pricedCharge, len(rs))
	for _, c := range charges {
		byResource[c.resource] = append(byResource[c.resource], c)
	}
	for i, r := range rs {
		out[i] = models.PricedResource{Resource: r, Cost: costOf(plans[i], byResource[i])}
	}
	return out, next, nil
}

// costOf sums a resource's charges. A charge with usage and no price makes the resource
// unpriced; its source is the weakest of the sources of its priced charges.
func costOf(pl plan, cs []*pricedCharge) models.Cost {
	notes := pl.notes
	if pl.noPrice != "" {
		return models.Cost{Priced: false, Note: strings.Join(append([]string{pl.noPrice}, notes...), "; ")}
	}
	var hourly float64
	source := ""
	var missing []string
	for _, c := range cs {
		if c.note != "" {
			notes = append(notes, c.note)
		}
		if c.optional && c.qty == 0 {
			continue
		}
		if !c.ok {
			if c.qty > 0 {
				missing = append(missing, c.name)
			}
			continue
		}
		hourly += c.hourly
		source = weakerSource(source, c.source)
	}
	warnings := slices.Clone(pl.warnings)
	for _, c := range cs {
		if c.warnMonthly != "" && c.ok && c.hourly > 0 {
			warnings = append(warnings, fmt.Sprintf(c.warnMonthly, "$"+strconv.FormatFloat(c.hourly*models.HoursPerMonth, 'f', 2, 64)))
		}
	}
	notes = append(notes, warnings...)
	if len(missing) > 0 {
		return models.Cost{Priced: false, Source: source, Warning: strings.Join(warnings, "; "),
			Note: strings.Join(append([]string{"no price for " + strings.Join(missing, ", ")}, notes...), "; ")}
	}
	if source == "" {
		source = models.SourceAPI
	}
	return models.Cost{
		HourlyUSD:  hourly,
		MonthlyUSD: hourly * models.HoursPerMonth,
		Source:     source,
		Priced:     true,
		Note:       strings.Join(notes, "; "),
		Warning:    strings.Join(warnings, "; "),
	}
}

// perUnitOf guards against a price listed per hour where costbot meters a month (or the
// other way round): a monthly stock priced per hour is scaled to a month.
func perUnitOf(kind meterKind, r Rate) Rate {
	u := strings.ToLower(r.Unit)
	hourly := u == "hrs" || u == "hours" || strings.HasSuffix(u, "-hrs") || strings.HasSuffix(u, "-hours")
	if kind == perMonth && hourly {
		return r.Scaled(models.HoursPerMonth)
	}
	return r
}
