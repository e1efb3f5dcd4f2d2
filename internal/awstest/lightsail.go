package awstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
)

// Lightsail is an in-process Lightsail API speaking awsJson1_1 (X-Amz-Target
// Lightsail_20161128.<Op>), so the real SDK client runs against it. A test seeds instances,
// bundles, static IPs and disks per region and a traffic series per instance and metric;
// the fake serves GetInstances, GetInstance, GetBundles, GetStaticIps, GetDisks,
// GetInstanceMetricData, StopInstance and StartInstance, records every call and can fail
// calls on demand.
//
// GetInstanceMetricData behaves like AWS where it matters: it refuses a request for more
// than 1440 datapoints, answers nothing for a unit the metric does not have, sums the
// 5-minute native datapoints over each period bucket, returns the datapoints in a shuffled
// order and leaves metricData out when there are none. History starts at the instance's
// creation and stops at the fake's clock, or a publication delay before it
// (SetPublicationDelay); a slot can be left without a datapoint (NoDatapoint).
type Lightsail struct {
	URL string

	srv      *httptest.Server
	mu       sync.Mutex
	pageSize int
	now      func() time.Time
	regions  map[string]*lightsailRegion
	traffic  map[trafficKey]TrafficFunc
	calls    []LightsailCall
	faults   []*LightsailFault
	rng      *rand.Rand
	serial   int
	delay    time.Duration // publication delay of datapoints
	account  string        // the account in the ARNs and support codes it makes up
}

type lightsailRegion struct {
	instances []map[string]any
	bundles   []map[string]any
	staticIPs []map[string]any
	disks     []map[string]any
	snapshots map[string][]map[string]any // by listing key: instanceSnapshots, diskSnapshots
}

type trafficKey struct{ region, instance, metric string }

// TrafficFunc is an instance metric as a function of time: the value of the 5-minute
// datapoint that starts at slot (bytes, for NetworkIn and NetworkOut), or NoDatapoint.
type TrafficFunc func(slot time.Time) float64

// NoDatapoint, returned by a TrafficFunc, leaves the slot without a datapoint (the
// metrics stopped arriving), which is not the same as a datapoint of 0.
var NoDatapoint = math.NaN()

// ConstantTraffic is the same value in every 5-minute slot.
func ConstantTraffic(perSlot float64) TrafficFunc { return func(time.Time) float64 { return perSlot } }

// LightsailResolution is the native resolution of instance metrics.
const LightsailResolution = 5 * time.Minute

// lightsailFakeAccount is the account id in the ARNs the fake makes up.
const lightsailFakeAccount = "123456789012"

// StartLightsail starts a fake Lightsail API that stops with the test. It answers two items
// per page of a listing (see SetPageSize) and its clock is time.Now (see SetClock).
func StartLightsail(t testing.TB) *Lightsail {
	t.Helper()
	l := &Lightsail{
		pageSize: 2,
		now:      time.Now,
		regions:  map[string]*lightsailRegion{},
		traffic:  map[trafficKey]TrafficFunc{},
		rng:      rand.New(rand.NewPCG(20161128, 1440)),
		account:  lightsailFakeAccount,
	}
	l.srv = httptest.NewServer(http.HandlerFunc(l.serve))
	l.URL = l.srv.URL
	t.Cleanup(l.srv.Close)
	return l
}

// Config is an AWS configuration for region whose clients talk to the fake.
func (l *Lightsail) Config(region string) awssdk.Config { return Config(l.URL, region) }

// SetPageSize sets how many items a page of GetInstances, GetBundles, GetStaticIps and
// GetDisks holds.
func (l *Lightsail) SetPageSize(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pageSize = max(n, 1)
}

// SetClock sets the fake's clock: no datapoint is stamped at or after now().
func (l *Lightsail) SetClock(now func() time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
}

// LightsailInstance seeds an instance.
type LightsailInstance struct {
	Name        string
	Bundle      string    // bundleId, e.g. micro_3_0
	Blueprint   string    // blueprintId; default ubuntu_22_04
	Zone        string    // default <region>a
	AllowanceGB int       // networking.monthlyTransfer.gbPerMonthAllocated
	CreatedAt   time.Time // default the fake's clock minus 90 days
	State       string    // default running
	PublicIP    string
}

// LightsailBundle seeds a plan for GetBundles.
type LightsailBundle struct {
	ID         string
	Price      float64 // USD per month
	TransferGB int
	Inactive   bool // listed only when includeInactive is true
}

// LightsailStaticIP seeds a static IP.
type LightsailStaticIP struct {
	Name       string
	IP         string
	AttachedTo string // instance name; empty means not attached
	CreatedAt  time.Time
}

// LightsailDisk seeds a block-storage disk (GetDisks).
type LightsailDisk struct {
	Name       string
	SizeGB     int
	AttachedTo string // instance name; empty means not attached
	Zone       string
	CreatedAt  time.Time
}

var lightsailStateCodes = map[string]int{
	"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80,
}

func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func (l *Lightsail) region(name string) *lightsailRegion {
	r := l.regions[name]
	if r == nil {
		r = &lightsailRegion{}
		l.regions[name] = r
	}
	return r
}

func (l *Lightsail) nextSerial() int {
	l.serial++
	return l.serial
}

// AddInstance seeds an instance in region.
func (l *Lightsail) AddInstance(region string, in LightsailInstance) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if in.Blueprint == "" {
		in.Blueprint = "ubuntu_22_04"
	}
	if in.Zone == "" {
		in.Zone = region + "a"
	}
	if in.CreatedAt.IsZero() {
		in.CreatedAt = l.now().Add(-90 * 24 * time.Hour)
	}
	if in.State == "" {
		in.State = "running"
	}
	n := l.nextSerial()
	doc := map[string]any{
		"name":             in.Name,
		"arn":              fmt.Sprintf("arn:aws:lightsail:%s:%s:Instance/%08x-0000-4000-8000-%012x", region, l.account, n, n),
		"supportCode":      fmt.Sprintf("%s/i-%017x", l.account, n),
		"createdAt":        epochSeconds(in.CreatedAt),
		"location":         map[string]any{"availabilityZone": in.Zone, "regionName": region},
		"resourceType":     "Instance",
		"tags":             []any{},
		"blueprintId":      in.Blueprint,
		"blueprintName":    in.Blueprint,
		"bundleId":         in.Bundle,
		"isStaticIp":       false,
		"privateIpAddress": fmt.Sprintf("172.26.%d.%d", n/250, n%250+2),
		"publicIpAddress":  in.PublicIP,
		"hardware": map[string]any{
			"cpuCount": 2,
			"disks": []any{map[string]any{
				"createdAt": epochSeconds(in.CreatedAt), "sizeInGb": 40, "isSystemDisk": true, "iops": 120,
				"path": "/dev/xvda", "attachedTo": in.Name, "attachmentState": "attached",
			}},
			"ramSizeInGb": 1.0,
		},
		"networking": map[string]any{
			"monthlyTransfer": map[string]any{"gbPerMonthAllocated": in.AllowanceGB},
			"ports":           []any{},
		},
		"state":         map[string]any{"code": lightsailStateCodes[in.State], "name": in.State},
		"username":      "ubuntu",
		"sshKeyName":    "LightsailDefaultKeyPair",
		"ipAddressType": "ipv4",
	}
	r := l.region(region)
	r.instances = append(r.instances, doc)
}

// AddInstancesJSON seeds region with the instances of a recorded GetInstances answer
// ({"instances": [...]}), kept as they are.
func (l *Lightsail) AddInstancesJSON(region string, getInstancesAnswer []byte) error {
	var answer struct {
		Instances []map[string]any `json:"instances"`
	}
	if err := json.Unmarshal(getInstancesAnswer, &answer); err != nil {
		return fmt.Errorf("lightsail fake: read instances: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.region(region)
	for _, in := range answer.Instances {
		if _, ok := in["name"].(string); !ok {
			return fmt.Errorf("lightsail fake: an instance has no name")
		}
		r.instances = append(r.instances, in)
	}
	return nil
}

// RemoveInstance deletes an instance (its traffic stays seeded).
func (l *Lightsail) RemoveInstance(region, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.region(region)
	r.instances = slices.DeleteFunc(r.instances, func(doc map[string]any) bool { return doc["name"] == name })
}

// AddBundle seeds a plan in region.
func (l *Lightsail) AddBundle(region string, b LightsailBundle) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.region(region)
	r.bundles = append(r.bundles, map[string]any{
		"bundleId": b.ID, "name": b.ID, "price": b.Price, "transferPerMonthInGb": b.TransferGB,
		"isActive": !b.Inactive, "cpuCount": 2, "ramSizeInGb": 1.0, "diskSizeInGb": 40, "power": 500,
		"instanceType": "micro", "supportedPlatforms": []any{"LINUX_UNIX"},
	})
}

// AddStaticIP seeds a static IP in region.
func (l *Lightsail) AddStaticIP(region string, ip LightsailStaticIP) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.nextSerial()
	if ip.CreatedAt.IsZero() {
		ip.CreatedAt = l.now().Add(-24 * time.Hour)
	}
	doc := map[string]any{
		"name":         ip.Name,
		"arn":          fmt.Sprintf("arn:aws:lightsail:%s:%s:StaticIp/%08x-0000-4000-8000-%012x", region, lightsailFakeAccount, n, n),
		"supportCode":  fmt.Sprintf("%s/%s", lightsailFakeAccount, ip.IP),
		"createdAt":    epochSeconds(ip.CreatedAt),
		"location":     map[string]any{"availabilityZone": "all", "regionName": region},
		"resourceType": "StaticIp",
		"ipAddress":    ip.IP,
		"isAttached":   ip.AttachedTo != "",
	}
	if ip.AttachedTo != "" {
		doc["attachedTo"] = ip.AttachedTo
	}
	r := l.region(region)
	r.staticIPs = append(r.staticIPs, doc)
}

// AddDisk seeds a block-storage disk in region.
func (l *Lightsail) AddDisk(region string, d LightsailDisk) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.nextSerial()
	if d.Zone == "" {
		d.Zone = region + "a"
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = l.now().Add(-24 * time.Hour)
	}
	doc := map[string]any{
		"name":         d.Name,
		"arn":          fmt.Sprintf("arn:aws:lightsail:%s:%s:Disk/%08x-0000-4000-8000-%012x", region, lightsailFakeAccount, n, n),
		"supportCode":  fmt.Sprintf("%s/vol-%017x", lightsailFakeAccount, n),
		"createdAt":    epochSeconds(d.CreatedAt),
		"location":     map[string]any{"availabilityZone": d.Zone, "regionName": region},
		"resourceType": "Disk",
		"tags":         []any{},
		"sizeInGb":     d.SizeGB,
		"isSystemDisk": false,
		"iops":         100,
		"state":        "available",
		"isAttached":   d.AttachedTo != "",
	}
	if d.AttachedTo != "" {
		doc["attachedTo"] = d.AttachedTo
		doc["path"] = "/dev/xvdf"
		doc["state"] = "in-use"
		doc["attachmentState"] = "attached"
	}
	r := l.region(region)
	r.disks = append(r.disks, doc)
}

// SetState sets an instance's state (running, stopped, stopping, pending ...).
func (l *Lightsail) SetState(region, name, state string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if doc := l.instance(region, name); doc != nil {
		setInstanceState(doc, state)
	}
}

// State is an instance's state name, or "" when there is no such instance.
func (l *Lightsail) State(region, name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	doc := l.instance(region, name)
	if doc == nil {
		return ""
	}
	s, _ := doc["state"].(map[string]any)
	name, _ = s["name"].(string)
	return name
}

func setInstanceState(doc map[string]any, state string) {
	doc["state"] = map[string]any{"code": lightsailStateCodes[state], "name": state}
}

func (l *Lightsail) instance(region, name string) map[string]any {
	r := l.regions[region]
	if r == nil {
		return nil
	}
	for _, doc := range r.instances {
		if doc["name"] == name {
			return doc
		}
	}
	return nil
}

// SetTraffic seeds an instance metric (NetworkIn, NetworkOut ...) as a function of time.
func (l *Lightsail) SetTraffic(region, instance, metric string, f TrafficFunc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.traffic[trafficKey{region, instance, metric}] = f
}

// SetTrafficSeries seeds an instance metric as one value per 5-minute slot, the first in
// the slot that holds start; outside the series the metric is 0.
func (l *Lightsail) SetTrafficSeries(region, instance, metric string, start time.Time, perSlot []float64) {
	first := start.Truncate(LightsailResolution)
	series := slices.Clone(perSlot)
	l.SetTraffic(region, instance, metric, func(slot time.Time) float64 {
		i := int(slot.Sub(first) / LightsailResolution)
		if slot.Before(first) || i >= len(series) {
			return 0
		}
		return series[i]
	})
}

// TrafficBetween is the sum of the seeded metric over the 5-minute slots stamped in
// [start, end) that the fake would report (after the instance's creation, before its clock):
// what a correct reader of GetInstanceMetricData must arrive at.
func (l *Lightsail) TrafficBetween(region, instance, metric string, start, end time.Time) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	total := 0.0
	for _, slot := range l.slots(region, instance, metric, start, end) {
		total += slot.value
	}
	return total
}

type slotValue struct {
	at    time.Time
	value float64
}

// slots are the native datapoints of a metric stamped in [start, end).
func (l *Lightsail) slots(region, instance, metric string, start, end time.Time) []slotValue {
	f := l.traffic[trafficKey{region, instance, metric}]
	doc := l.instance(region, instance)
	if f == nil || doc == nil {
		return nil
	}
	from := start.Truncate(LightsailResolution)
	if from.Before(start) {
		from = from.Add(LightsailResolution)
	}
	if created, ok := doc["createdAt"].(float64); ok {
		birth := time.UnixMilli(int64(math.Round(created * 1000))).Truncate(LightsailResolution)
		if from.Before(birth) {
			from = birth
		}
	}
	now := l.now()
	var out []slotValue
	for t := from; t.Before(end) && t.Before(now); t = t.Add(LightsailResolution) {
		if l.delay > 0 && t.Add(LightsailResolution+l.delay).After(now) {
			break // not published yet
		}
		if v := f(t.UTC()); !math.IsNaN(v) {
			out = append(out, slotValue{t.UTC(), v})
		}
	}
	return out
}

// SetPublicationDelay makes a datapoint appear only delay after its 5-minute slot ends,
// as Lightsail's do (about 5 minutes); 0 (the default) serves a slot once it begins.
func (l *Lightsail) SetPublicationDelay(delay time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delay = delay
}

// LightsailFault makes calls fail.
type LightsailFault struct {
	Op      string // operation, e.g. StopInstance
	Region  string // only calls to this region; empty means any
	Times   int    // how many calls fail; 0 means every call until ClearFaults
	Status  int    // HTTP status; default 400
	Code    string // the error's __type; default InternalFailure
	Message string
}

// InjectFault adds a fault; the oldest matching fault answers a call.
func (l *Lightsail) InjectFault(f LightsailFault) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f.Status == 0 {
		f.Status = http.StatusBadRequest
	}
	if f.Code == "" {
		f.Code = "InternalFailure"
	}
	l.faults = append(l.faults, &f)
}

// Throttle answers the next n calls of op with ThrottlingException and status (400 as
// AWS usually does, or 429).
func (l *Lightsail) Throttle(op string, n, status int) {
	l.InjectFault(LightsailFault{Op: op, Times: n, Status: status, Code: "ThrottlingException", Message: "Rate exceeded"})
}

// Fail makes every call of op fail with code and message (status 400) until ClearFaults.
func (l *Lightsail) Fail(op, code, message string) {
	l.InjectFault(LightsailFault{Op: op, Code: code, Message: message})
}

// ClearFaults removes every fault.
func (l *Lightsail) ClearFaults() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.faults = nil
}

// LightsailCall is one request the fake received.
type LightsailCall struct {
	Op     string
	Region string         // from the SigV4 credential scope
	Body   map[string]any // the JSON request (numbers as json.Number)
	Status int            // the HTTP status the fake answered
}

// Str is a string field of the request.
func (c LightsailCall) Str(field string) string {
	s, _ := c.Body[field].(string)
	return s
}

// Num is a numeric field of the request.
func (c LightsailCall) Num(field string) float64 {
	n, _ := c.Body[field].(json.Number)
	f, _ := n.Float64()
	return f
}

// Time is a timestamp field of the request (epoch seconds on the wire).
func (c LightsailCall) Time(field string) time.Time {
	return time.UnixMilli(int64(math.Round(c.Num(field) * 1000))).UTC()
}

// Calls returns the recorded calls of op, or every call when op is empty, in order.
func (l *Lightsail) Calls(op string) []LightsailCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []LightsailCall
	for _, c := range l.calls {
		if op == "" || c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded calls.
func (l *Lightsail) ResetCalls() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = nil
}

// lightsailError is an error the fake answers with.
type lightsailError struct {
	status        int
	code, message string
}

func invalidInput(format string, args ...any) *lightsailError {
	return &lightsailError{http.StatusBadRequest, "InvalidInputException", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *lightsailError {
	return &lightsailError{http.StatusBadRequest, "NotFoundException", fmt.Sprintf(format, args...)}
}

const lightsailTargetPrefix = "Lightsail_20161128."

func (l *Lightsail) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	op, hasPrefix := strings.CutPrefix(r.Header.Get("X-Amz-Target"), lightsailTargetPrefix)
	region, _ := CredentialScope(r.Header.Get("Authorization"))

	l.mu.Lock()
	defer l.mu.Unlock()
	call := LightsailCall{Op: op, Region: region}
	body, lerr := l.check(r, raw, hasPrefix, region)
	call.Body = body
	var answer any
	if lerr == nil {
		lerr = l.fault(op, region)
	}
	if lerr == nil {
		answer, lerr = l.dispatch(op, region, body)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("fake-%d", len(l.calls)+1))
	if lerr != nil {
		call.Status = lerr.status
		l.calls = append(l.calls, call)
		w.WriteHeader(lerr.status)
		json.NewEncoder(w).Encode(map[string]string{"__type": lerr.code, "message": lerr.message})
		return
	}
	call.Status = http.StatusOK
	l.calls = append(l.calls, call)
	json.NewEncoder(w).Encode(answer)
}

// check refuses what AWS would refuse before reaching the operation.
func (l *Lightsail) check(r *http.Request, raw []byte, hasPrefix bool, region string) (map[string]any, *lightsailError) {
	body := map[string]any{}
	if r.Method != http.MethodPost {
		return body, &lightsailError{http.StatusMethodNotAllowed, "UnknownOperationException", "only POST is served"}
	}
	if !hasPrefix {
		return body, &lightsailError{http.StatusBadRequest, "UnknownOperationException", "X-Amz-Target must start with " + lightsailTargetPrefix}
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		return body, &lightsailError{http.StatusBadRequest, "SerializationException", "Content-Type must be application/x-amz-json-1.1, not " + ct}
	}
	if region == "" {
		return body, &lightsailError{http.StatusForbidden, "MissingAuthenticationTokenException", "request is not signed with SigV4"}
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			return map[string]any{}, &lightsailError{http.StatusBadRequest, "SerializationException", err.Error()}
		}
	}
	return body, nil
}

func (l *Lightsail) fault(op, region string) *lightsailError {
	for i, f := range l.faults {
		if f.Op != op || (f.Region != "" && f.Region != region) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				l.faults = slices.Delete(l.faults, i, i+1)
			}
		}
		return &lightsailError{f.Status, f.Code, f.Message}
	}
	return nil
}

func (l *Lightsail) dispatch(op, region string, body map[string]any) (any, *lightsailError) {
	str := func(k string) string { s, _ := body[k].(string); return s }
	reg := l.region(region)
	switch op {
	case "GetInstances":
		return l.page(reg.instances, str("pageToken"), "instances")
	case "GetBundles":
		bundles := reg.bundles
		if inc, _ := body["includeInactive"].(bool); !inc {
			bundles = slices.DeleteFunc(slices.Clone(bundles), func(b map[string]any) bool { return b["isActive"] == false })
		}
		return l.page(bundles, str("pageToken"), "bundles")
	case "GetStaticIps":
		return l.page(reg.staticIPs, str("pageToken"), "staticIps")
	case "GetDisks":
		return l.page(reg.disks, str("pageToken"), "disks")
	case "GetInstanceSnapshots":
		return l.page(reg.snapshots["instanceSnapshots"], str("pageToken"), "instanceSnapshots")
	case "GetDiskSnapshots":
		return l.page(reg.snapshots["diskSnapshots"], str("pageToken"), "diskSnapshots")
	case "GetInstance":
		doc := l.instance(region, str("instanceName"))
		if doc == nil {
			return nil, notFound("The Instance does not exist: %s", str("instanceName"))
		}
		return map[string]any{"instance": doc}, nil
	case "StopInstance", "StartInstance":
		name := str("instanceName")
		doc := l.instance(region, name)
		if doc == nil {
			return nil, notFound("The Instance does not exist: %s", name)
		}
		state := "stopped"
		if op == "StartInstance" {
			state = "running"
		}
		setInstanceState(doc, state)
		now := epochSeconds(l.now())
		return map[string]any{"operations": []any{map[string]any{
			"id": fmt.Sprintf("op-%d", l.nextSerial()), "resourceName": name, "resourceType": "Instance",
			"createdAt": now, "location": doc["location"], "isTerminal": false,
			"operationType": op, "status": "Started", "statusChangedAt": now,
		}}}, nil
	case "GetInstanceMetricData":
		return l.metricData(region, body)
	}
	return nil, &lightsailError{http.StatusBadRequest, "UnknownOperationException", "the fake does not serve " + op}
}

// page serves one page of a listing; the token is the offset of the page.
func (l *Lightsail) page(items []map[string]any, token, key string) (any, *lightsailError) {
	offset := 0
	if token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, "page-"))
		if err != nil || !strings.HasPrefix(token, "page-") || n < 0 || n > len(items) {
			return nil, invalidInput("Invalid pageToken: %s", token)
		}
		offset = n
	}
	end := min(offset+l.pageSize, len(items))
	out := map[string]any{key: items[offset:end]}
	if end < len(items) {
		out["nextPageToken"] = fmt.Sprintf("page-%d", end)
	}
	return out, nil
}

// lightsailMetricUnits are the units instance metrics are kept in; asking another unit
// silently returns nothing.
var lightsailMetricUnits = map[string]string{
	"NetworkIn": "Bytes", "NetworkOut": "Bytes", "CPUUtilization": "Percent",
	"BurstCapacityPercentage": "Percent", "BurstCapacityTime": "Seconds",
	"StatusCheckFailed": "Count", "StatusCheckFailed_Instance": "Count", "StatusCheckFailed_System": "Count",
	"MetadataNoToken": "Count",
}

var lightsailStatistics = []string{"Minimum", "Maximum", "Sum", "Average", "SampleCount"}

func (l *Lightsail) metricData(region string, body map[string]any) (any, *lightsailError) {
	name, _ := body["instanceName"].(string)
	metric, _ := body["metricName"].(string)
	unit, _ := body["unit"].(string)
	for _, field := range []string{"instanceName", "metricName", "period", "startTime", "endTime", "unit", "statistics"} {
		if _, ok := body[field]; !ok {
			return nil, invalidInput("%s is required", field)
		}
	}
	call := LightsailCall{Body: body}
	period, start, end := int64(call.Num("period")), call.Time("startTime"), call.Time("endTime")
	if period < 60 || period > 86400 || period%60 != 0 {
		return nil, invalidInput("period must be a multiple of 60 between 60 and 86400, not %d", period)
	}
	if !end.After(start) {
		return nil, invalidInput("The parameter StartTime must be less than the parameter EndTime.")
	}
	span := end.Sub(start)
	p := time.Duration(period) * time.Second
	requested := int64((span + p - 1) / p)
	if requested > 1440 {
		return nil, invalidInput("You have requested up to %d datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", requested)
	}
	knownUnit, known := lightsailMetricUnits[metric]
	if !known {
		return nil, invalidInput("Invalid metricName: %s", metric)
	}
	stats, _ := body["statistics"].([]any)
	if len(stats) == 0 {
		return nil, invalidInput("statistics must not be empty")
	}
	for _, s := range stats {
		if !slices.Contains(lightsailStatistics, fmt.Sprint(s)) {
			return nil, invalidInput("Invalid statistic: %v", s)
		}
	}
	if l.instance(region, name) == nil {
		return nil, notFound("The Instance does not exist: %s", name)
	}
	out := map[string]any{"metricName": metric}
	if unit != knownUnit {
		return out, nil
	}
	buckets := map[int64][]float64{}
	for _, s := range l.slots(region, name, metric, start, end) {
		i := int64(s.at.Sub(start) / p)
		buckets[i] = append(buckets[i], s.value)
	}
	var points []map[string]any
	for i, values := range buckets {
		dp := map[string]any{"timestamp": epochSeconds(start.Add(time.Duration(i) * p)), "unit": unit}
		for _, s := range stats {
			dp[lowerFirst(fmt.Sprint(s))] = aggregate(fmt.Sprint(s), values)
		}
		points = append(points, dp)
	}
	if len(points) == 0 {
		return out, nil
	}
	l.shuffle(points)
	out["metricData"] = points
	return out, nil
}

// shuffle puts datapoints out of time order, as AWS does; never sorted when there are two
// or more.
func (l *Lightsail) shuffle(points []map[string]any) {
	l.rng.Shuffle(len(points), func(i, j int) { points[i], points[j] = points[j], points[i] })
	ts := func(i int) float64 { return points[i]["timestamp"].(float64) }
	if len(points) > 1 && sort.SliceIsSorted(points, func(i, j int) bool { return ts(i) < ts(j) }) {
		points[0], points[len(points)-1] = points[len(points)-1], points[0]
	}
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

func aggregate(stat string, values []float64) float64 {
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, v := range values {
		sum += v
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	switch stat {
	case "Minimum":
		return lo
	case "Maximum":
		return hi
	case "Average":
		return sum / float64(len(values))
	case "SampleCount":
		return float64(len(values))
	}
	return sum
}
