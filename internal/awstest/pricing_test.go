package awstest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/aws/smithy-go"
)

func pricingClient(s *PricingServer) *awspricing.Client {
	return awspricing.NewFromConfig(s.Config())
}

func termMatch(kv ...string) []types.Filter {
	var out []types.Filter
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Filter{Type: types.FilterTypeTermMatch, Field: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

type doc struct {
	Product struct {
		SKU           string            `json:"sku"`
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				BeginRange   string            `json:"beginRange"`
				EndRange     string            `json:"endRange"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

func parseDocs(t *testing.T, list []string) []doc {
	t.Helper()
	out := make([]doc, len(list))
	for i, s := range list {
		if err := json.Unmarshal([]byte(s), &out[i]); err != nil {
			t.Fatalf("PriceList entry %d is not a JSON document: %v", i, err)
		}
	}
	return out
}

func TestPricingServerHonoursFilters(t *testing.T) {
	s := NewPricingServer(t, DefaultPricingCatalogue())
	c := pricingClient(s)
	ctx := Context(t)

	out, err := c.GetProducts(ctx, &awspricing.GetProductsInput{
		ServiceCode: aws.String("AmazonEC2"),
		Filters: termMatch("regionCode", "us-east-1", "instanceType", "t3.micro", "operatingSystem", "Linux",
			"tenancy", "Shared", "preInstalledSw", "NA", "capacitystatus", "Used", "licenseModel", "No License required"),
	})
	if err != nil {
		t.Fatal(err)
	}
	docs := parseDocs(t, out.PriceList)
	if len(docs) != 1 {
		t.Fatalf("products = %d, want 1 (reservation and Windows SKUs filtered out)", len(docs))
	}
	d := docs[0]
	if d.Product.SKU == "" || d.Product.ProductFamily != "Compute Instance" || d.Product.Attributes["capacitystatus"] != "Used" {
		t.Errorf("product = %+v", d.Product)
	}
	var usd, unit, begin, end string
	for _, term := range d.Terms.OnDemand {
		for _, pd := range term.PriceDimensions {
			usd, unit, begin, end = pd.PricePerUnit["USD"], pd.Unit, pd.BeginRange, pd.EndRange
		}
	}
	if usd != "0.0104000000" || unit != "Hrs" || begin != "0" || end != "Inf" {
		t.Errorf("dimension = %s %s [%s, %s)", usd, unit, begin, end)
	}

	// Without capacitystatus the reservation SKUs come back too.
	out, err = c.GetProducts(ctx, &awspricing.GetProductsInput{
		ServiceCode: aws.String("AmazonEC2"),
		Filters:     termMatch("regionCode", "us-east-1", "instanceType", "t3.micro", "operatingSystem", "Linux"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PriceList) != 3 {
		t.Errorf("without capacitystatus: %d products, want 3", len(out.PriceList))
	}

	// productFamily is a filter like any attribute; a product without one never matches it.
	out, err = c.GetProducts(ctx, &awspricing.GetProductsInput{
		ServiceCode: aws.String("AmazonVPC"), Filters: termMatch("regionCode", "us-east-1", "productFamily", "VpcEndpoint"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if docs := parseDocs(t, out.PriceList); len(docs) != 1 || docs[0].Product.Attributes["usagetype"] != "USE1-VpcEndpoint-Hours" {
		t.Errorf("productFamily filter = %+v", docs)
	}

	// A different region or service matches nothing.
	out, err = c.GetProducts(ctx, &awspricing.GetProductsInput{
		ServiceCode: aws.String("AmazonRDS"), Filters: termMatch("regionCode", "us-east-1", "instanceType", "t3.micro"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PriceList) != 0 {
		t.Errorf("wrong service matched %d products", len(out.PriceList))
	}
}

func TestPricingServerPages(t *testing.T) {
	s := NewPricingServer(t, DefaultPricingCatalogue())
	c := pricingClient(s)
	in := &awspricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), MaxResults: aws.Int32(2),
		Filters: termMatch("regionCode", "us-east-1", "productFamily", "Storage")}
	first, err := c.GetProducts(Context(t), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.PriceList) != 2 || first.NextToken == nil {
		t.Fatalf("first page: %d products, token %v", len(first.PriceList), first.NextToken)
	}
	seen := map[string]bool{}
	pages := 0
	p := awspricing.NewGetProductsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(Context(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, d := range parseDocs(t, page.PriceList) {
			if seen[d.Product.SKU] {
				t.Errorf("sku %s on two pages", d.Product.SKU)
			}
			seen[d.Product.SKU] = true
		}
	}
	// Seven EBS volume types in us-east-1, two per page.
	if len(seen) != 7 || pages != 4 {
		t.Errorf("read %d products over %d pages, want 7 over 4", len(seen), pages)
	}
	if got := s.Calls("GetProducts"); got != 5 {
		t.Errorf("calls = %d, want 5", got)
	}
	if reqs := s.Requests(); reqs[len(reqs)-1].NextToken == "" {
		t.Error("the last page was requested without a NextToken")
	}
}

func TestPricingServerFails(t *testing.T) {
	s := NewPricingServer(t, DefaultPricingCatalogue())
	c := pricingClient(s)
	in := &awspricing.GetProductsInput{ServiceCode: aws.String("AWSLambda"), Filters: termMatch("regionCode", "us-east-1", "group", "AWS-Lambda-Duration")}

	// Throttled twice, then answered: the SDK's retries get through.
	s.FailNext(2, "ThrottlingException")
	out, err := c.GetProducts(Context(t), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PriceList) != 1 || s.Calls("GetProducts") != 3 {
		t.Fatalf("products %d after %d calls", len(out.PriceList), s.Calls("GetProducts"))
	}

	s.FailAlways("InternalErrorException")
	_, err = c.GetProducts(Context(t), in)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalErrorException" {
		t.Fatalf("err = %v, want InternalErrorException", err)
	}
	s.FailAlways("")
	if _, err := c.GetProducts(Context(t), in); err != nil {
		t.Errorf("after recovery: %v", err)
	}
}

func TestPricingServerDescribeServices(t *testing.T) {
	s := NewPricingServer(t, DefaultPricingCatalogue())
	out, err := pricingClient(s).DescribeServices(Context(t), &awspricing.DescribeServicesInput{})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, svc := range out.Services {
		codes[aws.ToString(svc.ServiceCode)] = true
	}
	for _, want := range []string{"AmazonEC2", "AmazonRDS", "AWSLambda", "AmazonS3", "AmazonVPC", "AmazonCloudFront"} {
		if !codes[want] {
			t.Errorf("DescribeServices lacks %s", want)
		}
	}
	if s.Calls("DescribeServices") != 1 {
		t.Errorf("DescribeServices calls = %d", s.Calls("DescribeServices"))
	}
}

func TestPriceItemSKUStable(t *testing.T) {
	a := EC2Item("us-east-1", "t3.micro", "Linux", "No License required", "Used", "0.0104000000")
	b := EC2Item("us-east-1", "t3.micro", "Linux", "No License required", "Used", "0.0104000000")
	c := EC2Item("us-east-1", "t3.small", "Linux", "No License required", "Used", "0.0208000000")
	if a.SKU() != b.SKU() || a.SKU() == c.SKU() || len(a.SKU()) != 16 {
		t.Errorf("skus %s %s %s", a.SKU(), b.SKU(), c.SKU())
	}
	seen := map[string]bool{}
	for _, it := range DefaultPricingCatalogue() {
		if seen[it.SKU()] {
			t.Errorf("duplicate sku %s for %+v", it.SKU(), it.Attrs)
		}
		seen[it.SKU()] = true
	}
}
