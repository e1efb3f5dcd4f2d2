package aws

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
	"time"

	lstypes "github.com/aws/aws-sdk-go-v2/service/lightsail/types"
)

// FuzzMetricWindows cuts fuzzed ranges with fuzzed periods and limits: the windows cover
// [start, end) exactly, in order, without overlap, each at most maxPoints periods, and
// only the last is shorter than maxPoints periods.
func FuzzMetricWindows(f *testing.F) {
	hour, day := int64(time.Hour), int64(24*time.Hour)
	for _, s := range []struct {
		startSec, length, period int64
		max                      int
	}{
		{1746057600, 31 * day, hour, 1440},    // May 2025 at an hour: one call
		{1746057600, 1440 * hour, hour, 1440}, // exactly 1440 periods
		{1746057600, 1441 * hour, hour, 1440}, // one more
		{1746057600, 31 * day, 300e9, 1440},   // five minutes: seven calls
		{1746057600, 90 * 60e9, hour, 1},      // a partial last period
		{1746057600, 0, hour, 1440},           // empty
		{1746057600, -hour, hour, 1440},       // backwards
		{1746057600, day, 0, 1440},            // no period
		{1746057600, day, hour, 0},            // no datapoints allowed
		{1746057620, day, 1 << 62, 4},         // period x maxPoints overflows
		{-62135596800, math.MaxInt64, math.MaxInt64, 1440},
	} {
		f.Add(s.startSec, s.length, s.period, s.max)
	}
	f.Fuzz(func(t *testing.T, startSec, length, periodNs int64, maxPoints int) {
		// Times AWS could answer about, give or take 30,000 years.
		start := time.Unix(startSec%(1<<40), 0).UTC()
		end := start.Add(time.Duration(length))
		period := time.Duration(periodNs)
		if period > 0 && maxPoints > 0 && end.After(start) {
			// Keep the answer small enough to hold: at most 100,000 windows.
			if per := float64(period) * float64(maxPoints); float64(end.Sub(start))/per > 1e5 {
				return
			}
		}
		ws := metricWindows(start, end, period, maxPoints)
		if !end.After(start) || period <= 0 || maxPoints < 1 {
			if ws != nil {
				t.Fatalf("windows for an empty request: %v", ws)
			}
			return
		}
		if len(ws) == 0 || !ws[0].Start.Equal(start) || !ws[len(ws)-1].End.Equal(end) {
			t.Fatalf("windows %v do not span [%v, %v)", ws, start, end)
		}
		for i, w := range ws {
			if !w.End.After(w.Start) {
				t.Fatalf("window %d is empty: %v", i, w)
			}
			if i > 0 && !w.Start.Equal(ws[i-1].End) {
				t.Fatalf("windows %d and %d overlap or leave a gap: %v %v", i-1, i, ws[i-1], w)
			}
			periods := math.Ceil(float64(w.End.Sub(w.Start)) / float64(period))
			if periods > float64(maxPoints) {
				t.Fatalf("window %d asks %v periods, more than %d", i, periods, maxPoints)
			}
			if i < len(ws)-1 && w.End.Sub(w.Start)/period != time.Duration(maxPoints) {
				t.Fatalf("window %d of %d is short: %v", i, len(ws), w)
			}
		}
	})
}

// FuzzSumDatapoints reads datapoints from fuzzed bytes, 7 per datapoint: flags, an hour
// (2 bytes) and a Sum in bytes (4). Sums are whole numbers below 2^32, as byte counts
// are, so adding them is exact and any order must give the same total.
func FuzzSumDatapoints(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 1, 0, 0, 0x10, 0})                         // one point
	f.Add([]byte{0, 0, 1, 0, 0, 0x10, 0, 0, 0, 1, 0, 0, 0x10, 0}) // the same point twice
	f.Add([]byte{0, 0, 1, 0, 0, 0x10, 0, 4, 0, 1, 0, 0, 0x10, 0}) // twice, one in another zone
	f.Add([]byte{1, 0, 1, 9, 0, 0, 0, 1, 0, 1, 9, 0, 0, 0})       // no timestamps: both count
	f.Add([]byte{2, 0, 1, 9, 0, 0, 0, 0, 0, 1, 5, 0, 0, 0})       // no Sum, then a Sum
	f.Add([]byte{0, 0, 1, 7, 0, 0, 0, 0, 0, 1, 5, 0, 0, 0})       // the same hour, another Sum: the first wins
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		points := decodeDatapoints(raw)
		if got, want := sumDatapoints(points), firstPerTimestamp(points); got != want {
			t.Fatalf("sum = %v, want %v (the first Sum of each timestamp)", got, want)
		}
		// Chunks that meet at a boundary repeat the same datapoint, so a repeated timestamp
		// carries the same Sum; then the order does not matter.
		consistent := sameSumPerTimestamp(points)
		want := sumDatapoints(consistent)
		reversed := slices.Clone(consistent)
		slices.Reverse(reversed)
		if got := sumDatapoints(reversed); got != want {
			t.Fatalf("reversed sum = %v, want %v", got, want)
		}
		if len(consistent) > 1 {
			k := int(raw[0]) % len(consistent)
			rotated := append(slices.Clone(consistent[k:]), consistent[:k]...)
			if got := sumDatapoints(rotated); got != want {
				t.Fatalf("rotated sum = %v, want %v", got, want)
			}
		}
	})
}

const (
	pointNoTimestamp = 1 << iota
	pointNoSum
	pointOtherZone // the same instant, written in another time zone
)

// maxFuzzedDatapoints is more than a month of hours asked in two overlapping chunks.
const maxFuzzedDatapoints = 2000

func decodeDatapoints(raw []byte) []lstypes.MetricDatapoint {
	base := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	elsewhere := time.FixedZone("UTC+8", 8*3600)
	var out []lstypes.MetricDatapoint
	for n := 0; len(raw) >= 7 && n < maxFuzzedDatapoints; raw, n = raw[7:], n+1 {
		flags := raw[0]
		var p lstypes.MetricDatapoint
		if flags&pointNoTimestamp == 0 {
			ts := base.Add(time.Duration(binary.LittleEndian.Uint16(raw[1:3])) * time.Hour)
			if flags&pointOtherZone != 0 {
				ts = ts.In(elsewhere)
			}
			p.Timestamp = &ts
		}
		if flags&pointNoSum == 0 {
			sum := float64(binary.LittleEndian.Uint32(raw[3:7]))
			p.Sum = &sum
		}
		out = append(out, p)
	}
	return out
}

// firstPerTimestamp is the reference: each timestamp's first Sum, plus every Sum
// without a timestamp.
func firstPerTimestamp(points []lstypes.MetricDatapoint) float64 {
	seen := map[time.Time]bool{} // in UTC, so one instant is one key
	total := 0.0
	for _, p := range points {
		if p.Sum == nil {
			continue
		}
		if p.Timestamp != nil {
			if seen[p.Timestamp.UTC()] {
				continue
			}
			seen[p.Timestamp.UTC()] = true
		}
		total += *p.Sum
	}
	return total
}

// sameSumPerTimestamp gives every datapoint of a timestamp the Sum of its first one.
func sameSumPerTimestamp(points []lstypes.MetricDatapoint) []lstypes.MetricDatapoint {
	out := slices.Clone(points)
	first := map[time.Time]*float64{}
	for i, p := range out {
		if p.Timestamp == nil || p.Sum == nil {
			continue
		}
		if sum, ok := first[p.Timestamp.UTC()]; ok {
			out[i].Sum = sum
		} else {
			first[p.Timestamp.UTC()] = p.Sum
		}
	}
	return out
}
