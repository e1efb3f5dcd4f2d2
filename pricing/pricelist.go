package pricing

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Product is one SKU of a Pricing API answer with its on-demand price dimensions, kept
// as the API wrote them (decimal strings) so a cached copy parses exactly like a fresh one.
type Product struct {
	SKU        string            `json:"sku"`
	Family     string            `json:"family,omitempty"`
	Attributes map[string]string `json:"attributes"`
	Dimensions []Dimension       `json:"dimensions"`
}

// Dimension is one on-demand price dimension: USD per Unit for usage in [Begin, End).
type Dimension struct {
	Unit        string `json:"unit"`
	Begin       string `json:"begin"`
	End         string `json:"end"`
	USD         string `json:"usd"`
	Description string `json:"description,omitempty"`
}

// priceListDocument is the shape of one PriceList entry (a JSON document in a string).
type priceListDocument struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				BeginRange   string            `json:"beginRange"`
				EndRange     string            `json:"endRange"`
				Description  string            `json:"description"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// ParsePriceList parses one PriceList entry. Only OnDemand terms are read; a document
// without any is returned with no dimensions (reservation-only SKUs).
func ParsePriceList(doc string) (Product, error) {
	var d priceListDocument
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return Product{}, fmt.Errorf("price list document: %w", err)
	}
	p := Product{SKU: d.Product.SKU, Family: d.Product.ProductFamily, Attributes: d.Product.Attributes}
	if p.Attributes == nil {
		p.Attributes = map[string]string{}
	}
	for _, term := range d.Terms.OnDemand {
		for _, pd := range term.PriceDimensions {
			usd, ok := pd.PricePerUnit["USD"]
			if !ok {
				continue
			}
			p.Dimensions = append(p.Dimensions, Dimension{
				Unit: pd.Unit, Begin: pd.BeginRange, End: pd.EndRange, USD: usd, Description: pd.Description,
			})
		}
	}
	// Map order is random; tiers are read in ascending order.
	slices.SortFunc(p.Dimensions, func(a, b Dimension) int {
		return cmpFloat(parseRange(a.Begin, 0), parseRange(b.Begin, 0))
	})
	return p, nil
}

// ParsePriceLists parses every entry of a GetProducts answer.
func ParsePriceLists(docs []string) ([]Product, error) {
	out := make([]Product, 0, len(docs))
	for i, doc := range docs {
		p, err := ParsePriceList(doc)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseRange reads a beginRange/endRange value; "Inf" (or an empty value at the end of
// a range) is +Inf.
func parseRange(s string, empty float64) float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return empty
	}
	if strings.EqualFold(s, "inf") {
		return math.Inf(1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return empty
	}
	return f
}

// Tier is a price for usage in [Begin, End); End is +Inf for the last tier.
type Tier struct {
	Begin, End float64
	USD        float64
}

// Rate is a unit price, possibly tiered, in USD per Unit.
type Rate struct {
	Unit  string
	Tiers []Tier
}

// Flat is a single-tier rate.
func Flat(unit string, usd float64) Rate {
	return Rate{Unit: unit, Tiers: []Tier{{Begin: 0, End: math.Inf(1), USD: usd}}}
}

// Tiered builds a rate from tier boundaries and prices: Tiered("GB", []float64{51200,
// 512000}, 0.023, 0.022, 0.021) is 0.023 up to 51,200, 0.022 to 512,000, 0.021 beyond.
func Tiered(unit string, bounds []float64, usd ...float64) Rate {
	r := Rate{Unit: unit}
	begin := 0.0
	for i, p := range usd {
		end := math.Inf(1)
		if i < len(bounds) {
			end = bounds[i]
		}
		r.Tiers = append(r.Tiers, Tier{Begin: begin, End: end, USD: p})
		begin = end
	}
	return r
}

// Scaled is the rate with every price multiplied by f (Multi-AZ doubling, unit changes).
func (r Rate) Scaled(f float64) Rate {
	out := Rate{Unit: r.Unit, Tiers: slices.Clone(r.Tiers)}
	for i := range out.Tiers {
		out.Tiers[i].USD *= f
	}
	return out
}

// Cost is what cumulative usage q costs under the tiers. Usage below the first tier's
// Begin is free: a rate whose first tier starts at 3000 charges nothing for the first
// 3000 units.
func (r Rate) Cost(q float64) float64 {
	if q <= 0 {
		return 0
	}
	total := 0.0
	for _, t := range r.Tiers {
		if q <= t.Begin {
			break
		}
		top := math.Min(q, t.End)
		total += (top - t.Begin) * t.USD
	}
	return total
}

// FreeBase is where charging starts (the first tier's Begin), 0 for an ordinary rate.
func (r Rate) FreeBase() float64 {
	if len(r.Tiers) == 0 {
		return 0
	}
	return r.Tiers[0].Begin
}

// errNoDimensions is a product without a usable on-demand USD price.
var errNoDimensions = errors.New("no on-demand USD price dimensions")

// Rate turns the product's price dimensions into a Rate. Prices are decimal strings.
// strconv also reads "NaN", "Inf" and negative numbers, which no price or tier boundary
// is, and tiers follow each other: such a product has no rate, rather than one that
// prices everything at NaN or twice.
func (p Product) Rate() (Rate, error) {
	if len(p.Dimensions) == 0 {
		return Rate{}, errNoDimensions
	}
	r := Rate{Unit: p.Dimensions[0].Unit}
	for i, d := range p.Dimensions {
		usd, err := strconv.ParseFloat(strings.TrimSpace(d.USD), 64)
		if err != nil {
			return Rate{}, fmt.Errorf("sku %s: price %q: %w", p.SKU, d.USD, err)
		}
		if !(usd >= 0) || math.IsInf(usd, 1) {
			return Rate{}, fmt.Errorf("sku %s: price %q: expected a finite amount of 0 or more", p.SKU, d.USD)
		}
		t := Tier{Begin: parseRange(d.Begin, 0), End: parseRange(d.End, math.Inf(1)), USD: usd}
		if !(t.Begin >= 0) || math.IsInf(t.Begin, 1) || !(t.End >= t.Begin) {
			return Rate{}, fmt.Errorf("sku %s: range [%q, %q): expected 0 <= begin <= end, begin finite", p.SKU, d.Begin, d.End)
		}
		if i > 0 && t.Begin < r.Tiers[i-1].End {
			// Overlapping tiers (two terms, say) would charge the same usage twice.
			return Rate{}, fmt.Errorf("sku %s: tier beginning at %q overlaps the one ending at %q", p.SKU, d.Begin, p.Dimensions[i-1].End)
		}
		r.Tiers = append(r.Tiers, t)
	}
	return r, nil
}

// regionPrefix is the region code AWS puts in front of most usage types ("USE1-",
// "APN1-", "EU-"). CloudFront's "US-DataTransfer-Out-Bytes" also matches, so CloudFront
// lookups compare the whole usage type instead.
var regionPrefix = regexp.MustCompile(`^[A-Z]{2,4}[0-9]?-`)

// baseUsageType strips the region prefix: "APN1-NatGateway-Hours" -> "NatGateway-Hours".
func baseUsageType(u string) string { return regionPrefix.ReplaceAllString(u, "") }
