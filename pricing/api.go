package pricing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
)

// GetProductsAPI is the one Pricing API call costbot makes, with the SDK's own shape so
// the real client and a test fake are interchangeable.
type GetProductsAPI interface {
	GetProducts(ctx context.Context, in *awspricing.GetProductsInput, optFns ...func(*awspricing.Options)) (*awspricing.GetProductsOutput, error)
}

// APIRegion is where the Pricing API is served from, whatever region is being priced.
const APIRegion = "us-east-1"

// NewAPIClient builds the SDK Pricing client for us-east-1 from cfg (credentials,
// retryer and any endpoint override such as AWS_ENDPOINT_URL_PRICING are kept).
func NewAPIClient(cfg aws.Config) GetProductsAPI {
	cfg = cfg.Copy()
	cfg.Region = APIRegion
	return awspricing.NewFromConfig(cfg)
}

// Lookup is one GetProducts query: a service code and TERM_MATCH filters. Its Key is the
// price cache key, so two resources needing the same query share one call.
type Lookup struct {
	ServiceCode string
	Filters     []Filter
}

// Filter is one TERM_MATCH filter.
type Filter struct{ Field, Value string }

func lookup(service string, kv ...string) Lookup {
	l := Lookup{ServiceCode: service}
	for i := 0; i+1 < len(kv); i += 2 {
		l.Filters = append(l.Filters, Filter{Field: kv[i], Value: kv[i+1]})
	}
	slices.SortFunc(l.Filters, func(a, b Filter) int { return strings.Compare(a.Field, b.Field) })
	return l
}

// Key is the cache key: "v1|AmazonEC2|capacitystatus=Used|instanceType=t3.micro|...".
func (l Lookup) Key() string {
	var b strings.Builder
	b.WriteString("v1|")
	b.WriteString(l.ServiceCode)
	for _, f := range l.Filters {
		b.WriteString("|")
		b.WriteString(f.Field)
		b.WriteString("=")
		b.WriteString(f.Value)
	}
	return b.String()
}

// fetchProducts reads every page of the query and parses every PriceList document.
func fetchProducts(ctx context.Context, api GetProductsAPI, l Lookup, pages *int) ([]Product, error) {
	in := &awspricing.GetProductsInput{
		ServiceCode:   aws.String(l.ServiceCode),
		FormatVersion: aws.String("aws_v1"),
		MaxResults:    aws.Int32(100),
	}
	for _, f := range l.Filters {
		in.Filters = append(in.Filters, types.Filter{Type: types.FilterTypeTermMatch, Field: aws.String(f.Field), Value: aws.String(f.Value)})
	}
	var out []Product
	p := awspricing.NewGetProductsPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if pages != nil {
			*pages++
		}
		if err != nil {
			return nil, fmt.Errorf("pricing %s: get products: %w", l.Key(), err)
		}
		prods, err := ParsePriceLists(page.PriceList)
		if err != nil {
			return nil, fmt.Errorf("pricing %s: %w", l.Key(), err)
		}
		out = append(out, prods...)
	}
	return out, nil
}
