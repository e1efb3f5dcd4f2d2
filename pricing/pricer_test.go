package pricing

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"

	"costbot/internal/awstest"
	"costbot/models"
)

func openStore(t *testing.T, path string) *models.Store {
	t.Helper()
	s, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func t3micro(id string) models.Resource {
	return res("ec2", models.KindInstance, "us-east-1", id, "t3.micro", map[string]string{"platform": "Linux/UNIX"}, nil)
}

func scanOne(t *testing.T, p *Pricer, r models.Resource) models.Cost {
	t.Helper()
	got, _, err := p.PriceScan(context.Background(), []models.Resource{r}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got[0].Cost
}

func TestAPIDownUsesFallbackAndLeavesCacheAlone(t *testing.T) {
	srv := catalogueServer(t)
	srv.FailAlways("InternalErrorException")
	store := openStore(t, filepath.Join(t.TempDir(), "cost.db"))
	p := newTestPricer(t, srv, store, "")

	c := scanOne(t, p, t3micro("i-1"))
	if !c.Priced || c.HourlyUSD != 0.0104 || c.Source != models.SourceFallback {
		t.Fatalf("cost = %+v, want 0.0104 from fallback", c)
	}
	if srv.Calls("GetProducts") == 0 {
		t.Fatal("the API was never asked")
	}
	key := ec2Lookup("us-east-1", "t3.micro", ec2Platform{"Linux", "NA", "No License required"}, "Shared").Key()
	if _, _, ok, err := store.CachedPrice(context.Background(), key); err != nil || ok {
		t.Fatalf("fallback price written to the cache (ok=%v err=%v)", ok, err)
	}
	if n, _ := store.ClearPrices(context.Background()); n != 0 {
		t.Errorf("cache holds %d entries, want 0", n)
	}

	// Something neither the API nor the table knows is unpriced, never $0.
	c = scanOne(t, p, res("ec2", models.KindInstance, "us-east-1", "i-2", "x9.mega", map[string]string{"platform": "Linux/UNIX"}, nil))
	if c.Priced || c.HourlyUSD != 0 {
		t.Errorf("unknown type = %+v, want unpriced", c)
	}
}

func TestRetriesThrottling(t *testing.T) {
	srv := catalogueServer(t)
	srv.FailNext(2, "ThrottlingException")
	p := newTestPricer(t, srv, nil, "")
	c := scanOne(t, p, t3micro("i-1"))
	if c.Source != models.SourceAPI || c.HourlyUSD != 0.0104 {
		t.Fatalf("cost = %+v, want 0.0104 from the api after retries", c)
	}
	if got := srv.Calls("GetProducts"); got != 3 {
		t.Errorf("requests = %d, want 3 (two throttled, one answered)", got)
	}
}

func TestCacheExpiresWithTTL(t *testing.T) {
	srv := catalogueServer(t)
	store := openStore(t, filepath.Join(t.TempDir(), "cost.db"))
	clock := &fakeClock{t: hour}
	p := New(store, NewAPIClient(srv.Config()), Options{TTL: time.Hour, Now: clock.Now})

	if c := scanOne(t, p, t3micro("i-1")); c.Source != models.SourceAPI {
		t.Fatalf("first lookup source = %s, want api", c.Source)
	}
	clock.Advance(59 * time.Minute)
	if c := scanOne(t, p, t3micro("i-1")); c.Source != models.SourceCache || c.HourlyUSD != 0.0104 {
		t.Fatalf("within TTL = %+v, want 0.0104 from cache", c)
	}
	if p.Calls() != 1 {
		t.Fatalf("calls = %d within TTL, want 1", p.Calls())
	}
	clock.Advance(2 * time.Minute)
	if c := scanOne(t, p, t3micro("i-1")); c.Source != models.SourceAPI {
		t.Fatalf("after TTL source = %s, want api", c.Source)
	}
	if p.Calls() != 2 {
		t.Errorf("calls = %d after expiry, want 2", p.Calls())
	}

	// An expired entry still beats the built-in table when the API is down.
	clock.Advance(2 * time.Hour)
	srv.FailAlways("InternalErrorException")
	if c := scanOne(t, p, t3micro("i-1")); c.Source != models.SourceCache {
		t.Errorf("stale entry with the API down: source = %s, want cache", c.Source)
	}
}

func TestWarmRestartMakesNoCall(t *testing.T) {
	srv := catalogueServer(t)
	path := filepath.Join(t.TempDir(), "cost.db")
	rs := []models.Resource{t3micro("i-1"), res("vpc", models.KindNATGateway, "us-east-1", "nat-1", "nat-gateway", nil, map[string]float64{"bytes_processed_hour": gib})}

	first, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p1 := New(first, NewAPIClient(srv.Config()), Options{Now: func() time.Time { return hour }})
	if _, _, err := p1.PriceScan(context.Background(), rs, nil); err != nil {
		t.Fatal(err)
	}
	first.Close()
	before := srv.Calls("GetProducts")

	second := openStore(t, path)
	p2 := New(second, NewAPIClient(srv.Config()), Options{Now: func() time.Time { return hour.Add(time.Hour) }})
	got, _, err := p2.PriceScan(context.Background(), rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Calls("GetProducts") != before || p2.Calls() != 0 {
		t.Fatalf("restart made %d calls", srv.Calls("GetProducts")-before)
	}
	for _, pr := range got {
		if pr.Source != models.SourceCache {
			t.Errorf("%s source = %s, want cache", pr.ID, pr.Source)
		}
	}
	near(t, "nat", got[1].HourlyUSD, 0.045+0.045)
}

// blockingAPI answers GetProducts from the catalogue server after release is closed.
type blockingAPI struct {
	inner   GetProductsAPI
	started chan struct{}
	release chan struct{}
	calls   atomic.Int64
	once    sync.Once
}

func (b *blockingAPI) GetProducts(ctx context.Context, in *awspricing.GetProductsInput, opts ...func(*awspricing.Options)) (*awspricing.GetProductsOutput, error) {
	b.calls.Add(1)
	b.once.Do(func() { close(b.started) })
	<-b.release
	return b.inner.GetProducts(ctx, in, opts...)
}

func TestConcurrentIdenticalLookupsMakeOneCall(t *testing.T) {
	srv := catalogueServer(t)
	api := &blockingAPI{inner: NewAPIClient(srv.Config()), started: make(chan struct{}), release: make(chan struct{})}
	store := openStore(t, filepath.Join(t.TempDir(), "cost.db"))
	p := New(store, api, Options{Now: func() time.Time { return hour }})

	const n = 8
	var wg sync.WaitGroup
	costs := make([]models.Cost, n)
	for i := range n {
		wg.Go(func() {
			got, _, err := p.PriceScan(context.Background(), []models.Resource{t3micro("i-1")}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			costs[i] = got[0].Cost
		})
	}
	<-api.started // one lookup is in flight; the others join it or find the cache
	close(api.release)
	wg.Wait()
	if got := api.calls.Load(); got != 1 {
		t.Fatalf("API calls = %d, want 1", got)
	}
	for i, c := range costs {
		if c.HourlyUSD != 0.0104 {
			t.Errorf("scan %d = %v, want 0.0104", i, c.HourlyUSD)
		}
	}
}

func TestPriceScanLooksUpEachDistinctKeyOnce(t *testing.T) {
	srv := catalogueServer(t)
	store := openStore(t, filepath.Join(t.TempDir(), "cost.db"))
	p := newTestPricer(t, srv, store, "")
	withIP := t3micro("i-4")
	withIP.Usage = map[string]float64{"public_ipv4": 1}
	rs := []models.Resource{
		t3micro("i-1"), t3micro("i-2"), withIP, // one EC2 key
		res("ec2", models.KindInstance, "ap-northeast-1", "i-3", "m5.large", map[string]string{"platform": "Linux/UNIX"}, nil),
		res("vpc", models.KindNATGateway, "us-east-1", "nat-1", "nat-gateway", nil, nil),
		res("vpc", models.KindNATGateway, "us-east-1", "nat-2", "nat-gateway", nil, map[string]float64{"bytes_processed_hour": gib}),
		res("vpc", models.KindElasticIP, "us-east-1", "eip-1", "public-ipv4", nil, nil), // the VPC key again
	}
	// Distinct keys: EC2 t3.micro us-east-1, EC2 m5.large ap-northeast-1, NAT us-east-1,
	// VPC us-east-1.
	got, _, err := p.PriceScan(context.Background(), rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Calls() != 4 || srv.Calls("GetProducts") != 4 {
		t.Fatalf("calls = %d (server %d), want 4", p.Calls(), srv.Calls("GetProducts"))
	}
	for _, pr := range got {
		if !pr.Priced || pr.Source != models.SourceAPI {
			t.Errorf("%s = %+v", pr.ID, pr.Cost)
		}
	}
	near(t, "with ip", got[2].HourlyUSD, 0.0104)
	near(t, "eip", got[6].HourlyUSD, 0.005)

	// Every request filtered by regionCode, never location.
	for _, req := range srv.Requests() {
		if _, ok := req.Filter("location"); ok {
			t.Errorf("request filters on location: %+v", req.Filters)
		}
		if _, ok := req.Filter("regionCode"); !ok {
			t.Errorf("request without regionCode: %+v", req.Filters)
		}
	}
	// And EC2 on-demand asked for used capacity only.
	for _, req := range srv.Requests() {
		if req.ServiceCode == "AmazonEC2" {
			if _, isInstance := req.Filter("instanceType"); isInstance {
				if v, _ := req.Filter("capacitystatus"); v != "Used" {
					t.Errorf("EC2 lookup without capacitystatus=Used: %+v", req.Filters)
				}
			}
		}
	}

	// The next scan is served from the cache.
	if _, _, err := p.PriceScan(context.Background(), rs, nil); err != nil {
		t.Fatal(err)
	}
	if p.Calls() != 4 {
		t.Errorf("second scan made %d more calls", p.Calls()-4)
	}
}

func TestReadsEveryPage(t *testing.T) {
	srv := catalogueServer(t)
	srv.SetPageSize(1) // NAT hours on page 1, NAT bytes on page 2
	p := newTestPricer(t, srv, nil, "")
	c := scanOne(t, p, res("vpc", models.KindNATGateway, "us-east-1", "nat-1", "nat-gateway", nil, map[string]float64{"bytes_processed_hour": 4 * gib}))
	// 0.045 + 4 x 0.045 = 0.225
	near(t, "nat", c.HourlyUSD, 0.225)
	if c.Source != models.SourceAPI {
		t.Errorf("source = %s", c.Source)
	}
	if p.Requests() != 2 || srv.Calls("GetProducts") != 2 {
		t.Errorf("pages read = %d (server %d), want 2", p.Requests(), srv.Calls("GetProducts"))
	}
}

func TestWeakestSourceWins(t *testing.T) {
	// A catalogue without RDS storage: the instance's price comes from the API, its
	// storage from the built-in table, so the resource reports fallback.
	var noStorage []awstest.PriceItem
	for _, it := range awstest.DefaultPricingCatalogue() {
		if it.Family != "Database Storage" {
			noStorage = append(noStorage, it)
		}
	}
	srv := awstest.NewPricingServer(t, noStorage)
	p := newTestPricer(t, srv, nil, "")
	c := scanOne(t, p, res("rds", models.KindDBInstance, "us-east-1", "db-1", "db.t3.micro",
		map[string]string{"engine": "mysql", "multi_az": "false", "storage_type": "gp2"}, map[string]float64{"allocated_gb": 20}))
	// 0.017 from the API + 20 x 0.115 / 730 from the table.
	near(t, "hourly", c.HourlyUSD, 0.017+20*0.115/730)
	if c.Source != models.SourceFallback {
		t.Errorf("source = %s, want fallback", c.Source)
	}
	if got := []string{weakerSource(models.SourceAPI, models.SourceCache), weakerSource(models.SourceFallback, models.SourceCache), weakerSource("", models.SourceAPI)}; !slices.Equal(got, []string{models.SourceCache, models.SourceFallback, models.SourceAPI}) {
		t.Errorf("weakerSource = %v", got)
	}
}

func TestUnknownKindsAreUnpriced(t *testing.T) {
	p := newTestPricer(t, nil, nil, "")
	rs := []models.Resource{
		res("ec2", "dedicated_host", "us-east-1", "h-1", "m5", nil, nil),
		res("rds", models.KindDBInstance, "us-east-1", "db-1", "db.x9.huge", map[string]string{"engine": "mysql"}, map[string]float64{"allocated_gb": 20}),
		res("lightsail", models.KindInstance, "us-east-1", "web", "nano", nil, nil),
	}
	got, _, err := p.PriceScan(context.Background(), rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range got {
		if pr.Priced || pr.HourlyUSD != 0 || pr.Note == "" {
			t.Errorf("%s = %+v, want unpriced with a note", pr.ID, pr.Cost)
		}
	}
	tot := TotalsOf(got)
	if tot.Unpriced != 3 || tot.HourlyUSD != 0 {
		t.Errorf("totals = %+v", tot)
	}
}

func TestTotals(t *testing.T) {
	srv := catalogueServer(t)
	p := newTestPricer(t, srv, nil, "")
	rs := []models.Resource{
		t3micro("i-1"), t3micro("i-2"),
		res("vpc", models.KindNATGateway, "us-east-1", "nat-1", "nat-gateway", nil, nil),
		res("q", models.KindApplication, "us-east-1", "app", "qbusiness", nil, map[string]float64{"users_pro": 1}),
	}
	got, _, err := p.PriceScan(context.Background(), rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	tot := TotalsOf(got)
	// 2 x 0.0104 + 0.045 + 20/730 per hour.
	want := 2*0.0104 + 0.045 + 20.0/730
	near(t, "hourly", tot.HourlyUSD, want)
	near(t, "monthly", tot.MonthlyUSD, want*730)
	near(t, "ec2 monthly", tot.ByService["ec2"].MonthlyUSD, 2*0.0104*730)
	if tot.ByService["ec2"].Count != 2 || tot.ByService["vpc"].Count != 1 || tot.Count != 4 {
		t.Errorf("counts = %+v", tot)
	}
	if tot.Source != models.SourceFallback {
		t.Errorf("source = %s, want fallback (Q's list price)", tot.Source)
	}
}

func TestContextCancelled(t *testing.T) {
	srv := catalogueServer(t)
	p := newTestPricer(t, srv, nil, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := p.PriceScan(ctx, []models.Resource{t3micro("i-1")}, nil); err == nil {
		t.Error("no error from a cancelled scan")
	}
}

// TestAPIDownIsLeftAloneForAWhile: once the Pricing API has failed (after the SDK's own
// retries), the rest of the scan and the next ones within apiDownFor fall back at once
// instead of waiting out retries for every key; afterwards the API is asked again.
func TestAPIDownIsLeftAloneForAWhile(t *testing.T) {
	srv := catalogueServer(t)
	srv.FailAlways("InternalErrorException")
	clock := &fakeClock{t: hour}
	p := New(nil, NewAPIClient(srv.Config()), Options{Now: clock.Now, Concurrency: 1})
	rs := []models.Resource{t3micro("i-1"),
		res("ec2", models.KindInstance, "us-east-1", "i-2", "m5.large", map[string]string{"platform": "Linux/UNIX"}, nil),
		res("vpc", models.KindNATGateway, "us-east-1", "nat-1", "nat-gateway", nil, map[string]float64{"bytes_processed_hour": 0})}
	priced, _, err := p.PriceScan(context.Background(), rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range priced {
		if !pr.Priced || pr.Source != models.SourceFallback {
			t.Errorf("%s = %+v, want a fallback price", pr.ID, pr.Cost)
		}
	}
	if p.Calls() != 1 {
		t.Errorf("lookups sent to a failing API = %d, want 1 (then it is left alone)", p.Calls())
	}
	srv.FailAlways("")
	clock.Advance(apiDownFor - time.Second)
	scanOne(t, p, t3micro("i-1"))
	if p.Calls() != 1 {
		t.Errorf("the API was asked again within %v of failing", apiDownFor)
	}
	clock.Advance(2 * time.Second)
	if c := scanOne(t, p, t3micro("i-1")); c.Source != models.SourceAPI || p.Calls() != 2 {
		t.Errorf("after the pause: %+v with %d calls, want the API asked again", c, p.Calls())
	}
}

// TestEmptyAnswerIsCachedForTheTTL: a price the API does not list is asked once per TTL,
// not once per scan, and meanwhile the resource is priced from the fallback table.
func TestEmptyAnswerIsCachedForTheTTL(t *testing.T) {
	srv := awstest.NewPricingServer(t, nil) // lists nothing
	store := openStore(t, filepath.Join(t.TempDir(), "cost.db"))
	clock := &fakeClock{t: hour}
	p := New(store, NewAPIClient(srv.Config()), Options{TTL: time.Hour, Now: clock.Now})
	for i := range 3 {
		c := scanOne(t, p, t3micro("i-1"))
		if c.Source != models.SourceFallback || c.HourlyUSD != 0.0104 {
			t.Fatalf("scan %d: %+v, want the fallback 0.0104", i, c)
		}
	}
	if p.Calls() != 1 {
		t.Errorf("calls = %d for a price the API does not list, want 1 per TTL", p.Calls())
	}
	clock.Advance(time.Hour + time.Second)
	scanOne(t, p, t3micro("i-1"))
	if p.Calls() != 2 {
		t.Errorf("calls after the TTL = %d, want 2", p.Calls())
	}
}
