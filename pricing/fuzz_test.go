package pricing

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParsePriceList feeds PriceList documents, starting from the real AWS answers in
// testdata, to the parser and to Rate: bad documents are errors, never panics, and a rate
// that comes out has finite prices of 0 or more in ordered tiers.
func FuzzParsePriceList(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no PriceList answers in testdata: %v", err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var answer struct{ PriceList []string }
		if err := json.Unmarshal(raw, &answer); err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		for _, doc := range answer.PriceList {
			f.Add(doc)
		}
	}
	f.Add(s3StandardDoc)
	for _, bad := range []struct{ from, to string }{
		{`"USD":"0.0230000000"`, `"USD":"NaN"`},
		{`"USD":"0.0230000000"`, `"USD":"-0.023"`},
		{`"USD":"0.0230000000"`, `"USD":"+Inf"`},
		{`"USD":"0.0230000000"`, `"USD":"1e400"`},
		{`"USD":"0.0230000000"`, `"EUR":"0.02"`},
		{`"beginRange":"51200"`, `"beginRange":"NaN"`},
		{`"beginRange":"51200"`, `"beginRange":"-5"`},
		{`"beginRange":"51200"`, `"beginRange":"Inf"`},
		{`"endRange":"51200"`, `"endRange":"-1"`},
		{`"endRange":"51200"`, `"endRange":"NaN"`},
		{`"beginRange":"512000"`, `"beginRange":"0"`},
		{`"priceDimensions":{`, `"priceDimensions":null,"x":{`},
		{`{"product":`, `[{"product":`},
	} {
		f.Add(strings.Replace(s3StandardDoc, bad.from, bad.to, 1))
	}
	f.Add(`{"product":{"sku":"X","attributes":null},"terms":{"OnDemand":{"t":{"priceDimensions":{"d":{"pricePerUnit":{"USD":"0x1p-3"}}}}}}}`)
	f.Add(`{}`)
	f.Add(`null`)
	f.Add(``)

	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParsePriceList(doc)
		if err != nil {
			if _, err2 := ParsePriceLists([]string{s3StandardDoc, doc}); err2 == nil {
				t.Fatalf("ParsePriceList refused the document, ParsePriceLists took it: %v", err)
			}
			return
		}
		if p.Attributes == nil {
			t.Fatal("nil attributes")
		}
		ps, err := ParsePriceLists([]string{doc, s3StandardDoc})
		if err != nil || len(ps) != 2 || ps[0].SKU != p.SKU || len(ps[0].Dimensions) != len(p.Dimensions) {
			t.Fatalf("ParsePriceLists disagrees with ParsePriceList: %v", err)
		}
		r, err := p.Rate()
		if err != nil {
			return
		}
		checkRate(t, r)
	})
}

// checkRate asserts what a caller of Rate relies on.
func checkRate(t *testing.T, r Rate) {
	t.Helper()
	for i, tier := range r.Tiers {
		if math.IsNaN(tier.USD) || math.IsInf(tier.USD, 0) || tier.USD < 0 {
			t.Fatalf("tier %d price %v", i, tier.USD)
		}
		if !(tier.Begin >= 0) || math.IsInf(tier.Begin, 0) || !(tier.End >= tier.Begin) {
			t.Fatalf("tier %d range [%v, %v)", i, tier.Begin, tier.End)
		}
		if i > 0 && tier.Begin < r.Tiers[i-1].End {
			t.Fatalf("tiers out of order or overlapping: %+v", r.Tiers)
		}
	}
	for _, q := range []float64{0, 1, 3000, 51200, 1e6} {
		if c := r.Cost(q); math.IsNaN(c) || c < 0 {
			t.Fatalf("Cost(%v) = %v for %+v", q, c, r.Tiers)
		}
	}
}
