package web

import (
	"math"
	"strconv"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Number formats of the pages. Amounts are US dollars in every language.

var numbers = message.NewPrinter(language.English)

// usd is an amount with cents and thousands separators; under half a cent it keeps
// four decimals so a small cost does not read as $0.00.
func usd(v float64) string {
	if a := math.Abs(v); a > 0 && a < 0.005 {
		return signed(v, numbers.Sprintf("$%.4f", math.Abs(v)))
	}
	return signed(v, numbers.Sprintf("$%.2f", math.Abs(v)))
}

// rate is an hourly amount with four decimals.
func rate(v float64) string { return signed(v, numbers.Sprintf("$%.4f", math.Abs(v))) }

func signed(v float64, s string) string {
	if v < 0 && s != "$0.00" && s != "$0.0000" {
		return "-" + s
	}
	return s
}

// diffUSD is a signed difference: +$7.20, -$1.05, and $0.00 for float dust.
func diffUSD(v float64) string {
	if math.Abs(v) < 0.005 {
		return "$0.00"
	}
	if v > 0 {
		return "+" + usd(v)
	}
	return usd(v)
}

// pct is a percentage with one decimal.
func pct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

// gb is bytes in GB of 10^9 bytes, the Lightsail allowance's unit.
func gb(bytes float64) string { return strconv.FormatFloat(bytes/1e9, 'f', 2, 64) + " GB" }

// bytesSize is a file size: 12.3 MB.
func bytesSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := float64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/div, 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "B"
}
